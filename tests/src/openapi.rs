//! The public OpenAPI document: the gateway's own routes and every public
//! route of the services, as generated from their handlers.

use utoipa::openapi::OpenApi;

pub fn public_document() -> OpenApi {
    gateway::public_document([
        auth::openapi::document(),
        grids::openapi::document(),
        links::openapi::document(),
        analytics::openapi::document(),
    ])
}

pub const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../proto-docs/gateway.openapi.json"
);
