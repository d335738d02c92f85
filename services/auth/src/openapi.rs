//! The auth service's OpenAPI document, generated from the handlers.

use actix_web::App;
use gridlink_problem::{FieldError, ProblemSchema, StandardProblems};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridlink auth service",
        version = "1.0.0",
        description = "Users, passwords, access and refresh tokens. Public routes are \
                       reached through the gateway; /internal routes need a service token."
    ),
    components(schemas(ProblemSchema, FieldError)),
    modifiers(&SecuritySchemes, &StandardProblems)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "service_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document, built from the same route table the server serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    // Modifiers ran before the paths were collected; run them again on the whole.
    use utoipa::Modify as _;
    SecuritySchemes.modify(&mut api);
    StandardProblems.modify(&mut api);
    api
}
