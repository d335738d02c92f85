//! The HTTP plumbing every Gridlink service shares: the JSON extractor and its
//! limits, request observation (request id, trace span, metrics, access log),
//! health/readiness/metrics routes, problem+json fallbacks and client IPs.

pub mod cli;
mod client_ip;
mod extract;
mod observe;
pub mod openapi;
mod ops;
mod server;

pub use client_ip::{TrustedProxies, client_ip};
pub use extract::{BODY_LIMIT, Json, extractor_config, read_body};
pub use observe::{RequestId, observe};
pub use ops::{Metrics, Readiness, fallback, ops_routes};
pub use server::{Application, HttpSettings, KEEP_ALIVE, server};
