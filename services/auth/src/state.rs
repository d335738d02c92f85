use gridlink_db::PgPool;
use gridlink_http::TrustedProxies;

use crate::config::ThrottleSettings;
use crate::passwords::Passwords;
use crate::tokens::TokenIssuer;

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    pub passwords: Passwords,
    pub issuer: TokenIssuer,
    pub throttle: ThrottleSettings,
    pub trusted_proxies: TrustedProxies,
    pub erasure_services: Vec<String>,
}
