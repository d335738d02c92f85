//! The links service's settings, all from the environment.

use gridlink_access_token::TokenAudience;
use gridlink_config::{ConfigError, Secret};
use gridlink_db::PoolSettings;
use gridlink_events::BrokerSettings;
use gridlink_http::HttpSettings;
use gridlink_ids::CursorCodec;
use gridlink_rest_client::ClientSettings;
use gridlink_service_auth::ServiceTokens;

#[derive(Clone)]
pub struct Config {
    /// `LINKS_ADDR` (default 127.0.0.1:8083) and `HTTP_WORKERS`.
    pub http: HttpSettings,
    pub database_url: Secret,
    pub pool: PoolSettings,
    /// The auth service, for its public keys (`AUTH_URL`).
    pub auth: ClientSettings,
    /// The grids service, for grid ownership and visibility (`GRIDS_URL`).
    pub grids: ClientSettings,
    pub tokens: TokenAudience,
    pub internal_tokens: ServiceTokens,
    pub cursors: CursorCodec,
    /// The broker (`AMQP_URL`, `EVENTS_*`); `None` runs without events (tests).
    pub events: Option<BrokerSettings>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpSettings::from_env("LINKS_ADDR", 8083)?,
            database_url: gridlink_config::database_url("links"),
            pool: PoolSettings::from_env()?,
            auth: ClientSettings::from_env("AUTH", "http://127.0.0.1:8081")?,
            grids: ClientSettings::from_env("GRIDS", "http://127.0.0.1:8082")?,
            tokens: TokenAudience::from_env(),
            internal_tokens: ServiceTokens::from_env()?,
            cursors: CursorCodec::from_env()?,
            events: Some(BrokerSettings::from_env()?),
        })
    }
}
