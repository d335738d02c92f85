//! The analytics service's settings, all from the environment.

use auth_client::TokenVerification;
use gridlink_config::ConfigError;
use gridlink_rest_client::ClientSettings;
use gridlink_service::KitConfig;

#[derive(Clone, Debug)]
pub struct Config {
    /// `ANALYTICS_ADDR` (default 127.0.0.1:8084), `ADMIN_ADDR` (9084), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
    /// How access tokens are checked (the auth service's JWKS at `AUTH_URL`).
    pub tokens: TokenVerification,
    /// The links service, for whose a link is (`LINKS_URL`).
    pub links: ClientSettings,
    /// The grids service, for whose a grid is (`GRIDS_URL`).
    pub grids: ClientSettings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            tokens: TokenVerification::from_env()?,
            links: ClientSettings::from_env("LINKS", "http://127.0.0.1:8083")?,
            grids: ClientSettings::from_env("GRIDS", "http://127.0.0.1:8082")?,
        })
    }
}
