//! The __name__ service's OpenAPI document, generated from the handlers.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(info(
    title = "Gridlink __name__ service",
    version = "1.0.0",
    description = "The __name__ service."
))]
struct Info;

pub fn document() -> utoipa::openapi::OpenApi {
    gridlink_http::openapi::document(Info::openapi(), crate::routes::configure)
}
