//! The grids service's settings, all from the environment.

use auth_client::TokenVerification;
use gridlink_config::ConfigError;
use gridlink_service::{CursorCodec, KitConfig};

#[derive(Clone, Debug)]
pub struct Config {
    /// `GRIDS_ADDR` (default 127.0.0.1:8082), `ADMIN_ADDR` (9082), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
    /// How access tokens are checked (the auth service's JWKS at `AUTH_URL`).
    pub tokens: TokenVerification,
    pub cursors: CursorCodec,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            tokens: TokenVerification::from_env()?,
            cursors: CursorCodec::from_env()?,
        })
    }
}
