//! The links service's OpenAPI document, generated from the handlers.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(info(
    title = "Gridlink links service",
    version = "1.0.0",
    description = "Links: the entries of a grid, ordered, searchable. Public \
                   routes are reached through the gateway; /internal routes need a service token."
))]
struct Info;

pub fn document() -> utoipa::openapi::OpenApi {
    gridlink_http::openapi::document(Info::openapi(), crate::routes::configure)
}
