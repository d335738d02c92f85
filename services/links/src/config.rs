//! The links service's settings, all from the environment.

use auth_client::TokenVerification;
use gridlink_config::ConfigError;
use gridlink_rest_client::ClientSettings;
use gridlink_service::{CursorCodec, KitConfig};

#[derive(Clone, Debug)]
pub struct Config {
    /// `LINKS_ADDR` (default 127.0.0.1:8083), `ADMIN_ADDR` (9083), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
    /// How access tokens are checked (the auth service's JWKS at `AUTH_URL`).
    pub tokens: TokenVerification,
    /// The grids service, for grid ownership and visibility (`GRIDS_URL`).
    pub grids: ClientSettings,
    pub cursors: CursorCodec,
    /// `LINKS_GRID_WAIT_MS`: how long a write waits for other writes to the
    /// same grid before it is answered 409 busy (default 2000).
    pub grid_wait: std::time::Duration,
    /// When reads believe the copy of grid owners and visibility.
    pub grid_copies: crate::CopySettings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            tokens: TokenVerification::from_env()?,
            grids: ClientSettings::from_env("GRIDS", "http://127.0.0.1:8082")?,
            cursors: CursorCodec::from_env()?,
            grid_wait: std::time::Duration::from_millis(gridlink_config::parse(
                "LINKS_GRID_WAIT_MS",
                2_000,
            )?),
            grid_copies: crate::CopySettings::from_env()?,
        })
    }
}
