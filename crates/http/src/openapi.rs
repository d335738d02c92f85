//! A service's OpenAPI document, built from the same route table it serves.

use actix_web::App;
use gridlink_problem::{FieldError, ProblemSchema, StandardProblems};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, PartialSchema, ToSchema};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as RouteConfig;

/// `info` (title, description) comes from the service; paths and schemas from
/// its handlers. Adds the `bearer` (user access token) and `service_token`
/// security schemes, the `Problem` schema, and the problem responses every
/// operation can give.
pub fn document(info: OpenApi, routes: fn(&mut RouteConfig)) -> OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(info)
        .configure(routes)
        .split_for_parts();
    let components = api.components.get_or_insert_with(Default::default);
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.bearer_format = Some("JWT".into());
    components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    components.add_security_scheme(
        "service_token",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components
        .schemas
        .insert(ProblemSchema::name().into_owned(), ProblemSchema::schema());
    components
        .schemas
        .insert(FieldError::name().into_owned(), FieldError::schema());
    StandardProblems.modify(&mut api);
    api
}
