//! The public contract, served by the gateway: the OpenAPI document of every
//! public route (generated from the services' handlers and kept in
//! proto-docs/gateway.openapi.json) and a small page that renders it without
//! downloading anything.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get};
use utoipa::OpenApi;

/// The document this gateway serves; a test regenerates it from the services
/// and fails when the file is stale.
pub const PUBLIC_DOCUMENT: &str = include_str!("../../../proto-docs/gateway.openapi.json");

#[derive(OpenApi)]
#[openapi(info(
    title = "Gridlink public API",
    version = "1.0.0",
    description = "Everything clients reach through the gateway. Errors are RFC 9457 problem \
                   details; lists are cursor-paginated; rate limits answer 429 with Retry-After \
                   and RateLimit-Policy / RateLimit."
))]
struct Info;

/// The gateway's own routes (the profile page); the public document merges
/// them with the services' public routes.
pub fn own_document() -> utoipa::openapi::OpenApi {
    gridlink_http::openapi::document(Info::openapi(), crate::routes::configure)
}

/// The OpenAPI document of the public API.
#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(PUBLIC_DOCUMENT)
}

/// A readable page of the API, rendered in the browser from openapi.json.
#[get("/api/v1/docs")]
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        ))
        .body(include_str!("../static/docs.html"))
}

/// What the edge itself may answer on any public route, before or instead of
/// the service: a bad token (401), the rate limit (429), an oversized body
/// (413), an unavailable or failing upstream (502, 503) and a slow one (504).
/// Applied to the merged public document.
pub fn add_edge_responses(document: &mut utoipa::openapi::OpenApi) {
    gridlink_http::openapi::add_problem_responses(
        document,
        &[
            (
                "401",
                "The access token is invalid or expired (checked at the edge)",
            ),
            ("413", "Request body over 64 KiB"),
            (
                "429",
                "Rate limit exceeded; see Retry-After, RateLimit-Policy and RateLimit",
            ),
            ("502", "The upstream service failed"),
            (
                "503",
                "The upstream service is unavailable; see Retry-After",
            ),
            ("504", "The upstream service did not answer in time"),
        ],
    );
}
