use auth_client::{AuthClient, JwksVerifier};
use gridlink_http::TrustedProxies;
use grids_client::GridsClient;
use links_client::LinksClient;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use crate::breaker::Breaker;
use crate::path::Upstream;
use crate::ratelimit::{Quota, RateLimiter};

/// One service behind the gateway.
pub struct Backend {
    pub name: &'static str,
    pub base_url: String,
    pub http: reqwest::Client,
    pub timeout: std::time::Duration,
    pub breaker: Breaker,
}

/// What every handler shares.
pub struct Gateway {
    pub auth: Backend,
    pub grids: Backend,
    pub links: Backend,
    pub verifier: JwksVerifier,
    pub users: AuthClient,
    pub grids_client: GridsClient,
    pub links_client: LinksClient,
    pub limiter: RateLimiter,
    pub anonymous: Quota,
    pub signed_in: Quota,
    pub trusted_proxies: TrustedProxies,
    pub rate_limited: IntCounterVec,
}

impl Gateway {
    pub fn backend(&self, upstream: Upstream) -> &Backend {
        match upstream {
            Upstream::Auth => &self.auth,
            Upstream::Grids => &self.grids,
            Upstream::Links => &self.links,
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
