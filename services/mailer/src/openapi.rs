//! The mailer service's OpenAPI document, generated from the handlers.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridlink mailer service",
        version = "1.0.0",
        description = "The mailer service.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Gridlink", url = "https://gridlink.dev")
    ),
    servers((url = "http://127.0.0.1:8085", description = "A local stack (`make up`)"))
)]
struct Info;

pub fn document() -> utoipa::openapi::OpenApi {
    gridlink_http::openapi::document(Info::openapi(), crate::routes::configure)
}
