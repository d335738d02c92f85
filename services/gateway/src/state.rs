use std::sync::Arc;

use auth_client::AuthClient;
use gridlink_access_token::VerifyAccessToken;
use gridlink_http::TrustedProxies;
use gridlink_rest_client::RestClient;
use grids_client::GridsClient;
use links_client::LinksClient;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use crate::breaker::Breaker;
use crate::config::GroupQuotas;
use crate::ratelimit::{Quota, RateLimiter};
use crate::routes::Upstream;

/// One service behind the gateway: one HTTP client (its connections, its
/// timeouts, its retry policy) for both forwarded requests and the typed
/// calls of the profile page, and one circuit breaker.
pub struct Backend {
    pub name: &'static str,
    pub rest: RestClient,
    pub breaker: Breaker,
}

/// What every handler shares.
pub struct Gateway {
    pub auth: Backend,
    pub grids: Backend,
    pub links: Backend,
    pub analytics: Backend,
    /// The auth service's JWKS, refusing the tokens of ended sessions.
    pub verifier: Arc<dyn VerifyAccessToken>,
    pub users: AuthClient,
    pub grids_client: GridsClient,
    pub links_client: LinksClient,
    pub limiter: RateLimiter,
    pub anonymous: Quota,
    pub signed_in: Quota,
    pub groups: GroupQuotas,
    pub trusted_proxies: TrustedProxies,
    pub rate_limited: IntCounterVec,
    /// The profile page's operation (its security and rate-limit group).
    pub profile: Arc<crate::routes::Operation>,
    /// The grid page's operation.
    pub grid_page: Arc<crate::routes::Operation>,
    /// Following a link (`/r/{slug}`).
    pub redirect: Arc<crate::routes::Operation>,
    /// A QR code (every one of the four routes is admitted alike).
    pub qr: Arc<crate::routes::Operation>,
    /// Where the profile and grid pages are cached.
    pub pages: Arc<crate::page_cache::PageCache>,
    /// Views and clicks, counted.
    pub visits: crate::visits::Visits,
    /// Where visitors reach the public pages (`PUBLIC_BASE_URL`), without a
    /// trailing slash: what QR codes encode.
    pub public_base_url: String,
}

impl Gateway {
    pub fn backend(&self, upstream: Upstream) -> &Backend {
        match upstream {
            Upstream::Auth => &self.auth,
            Upstream::Grids => &self.grids,
            Upstream::Links => &self.links,
            Upstream::Analytics => &self.analytics,
        }
    }
}

pub fn instruments(registry: &prometheus::Registry) -> (IntCounterVec, IntGaugeVec) {
    let rate_limited = IntCounterVec::new(
        Opts::new(
            "gateway_rate_limited_total",
            "requests refused by the rate limiter",
        ),
        &["caller"],
    )
    .expect("static metric definition is valid");
    let circuit = IntGaugeVec::new(
        Opts::new(
            "gateway_circuit_state",
            "circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
        ),
        &["upstream"],
    )
    .expect("static metric definition is valid");
    registry
        .register(Box::new(rate_limited.clone()))
        .expect("registered once");
    registry
        .register(Box::new(circuit.clone()))
        .expect("registered once");
    (rate_limited, circuit)
}
