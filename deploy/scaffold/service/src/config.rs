//! The __name__ service's settings, all from the environment.

use gridlink_config::ConfigError;
use gridlink_service::KitConfig;

#[derive(Clone, Debug)]
pub struct Config {
    /// `__NAME___ADDR` (default 127.0.0.1:__port__), `ADMIN_ADDR` (__admin_port__), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
        })
    }
}
