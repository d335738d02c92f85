//! The HTTP plumbing every Gridlink service shares: the JSON and query
//! extractors and their limits, the access-token extractors, request
//! observation (request id, trace span, metrics, access log), the probes and
//! `/metrics`, problem+json fallbacks, client IPs, the route table and the
//! OpenAPI helpers.

mod auth;
mod client_ip;
mod extract;
pub mod nullable;
mod observe;
pub mod openapi;
mod ops;
mod routes;
pub mod whole;

pub use auth::{AccessTokens, Authenticated, MaybeAuthenticated, bearer_token, refused};
pub use client_ip::{TrustedProxies, client_ip};
pub use extract::{BODY_LIMIT, BODY_TIMEOUT, Json, Query, extractor_config, read_body};
pub use observe::{RequestId, UNMATCHED, method_label, observe};
pub use ops::{Metrics, Readiness, admin_routes, fallback, health_routes};
pub use routes::{Route, RouteTable};
