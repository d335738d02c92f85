//! The public OpenAPI document: the gateway's own routes and every public
//! route of the services, as generated from their handlers.

use utoipa::openapi::OpenApi;

pub fn public_document() -> OpenApi {
    let mut document = gateway::own_document();
    for service in [
        auth::openapi::document(),
        grids::openapi::document(),
        links::openapi::document(),
    ] {
        document.merge(service);
    }
    document
        .paths
        .paths
        .retain(|path, _| !path.starts_with("/internal"));
    gateway::add_edge_responses(&mut document);
    document
}

pub const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../proto-docs/gateway.openapi.json"
);
