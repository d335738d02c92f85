//! A service's OpenAPI document, built from the same route table it serves,
//! with the problem+json answers every operation can give.

use actix_web::App;
use gridlink_problem::{FieldError, PROBLEM_JSON, ProblemType};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as RouteConfig;

/// The problem document as the OpenAPI documents describe it.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub struct ProblemSchema {
    /// The kind of problem, one URI per kind; branch on it, never on `detail`.
    #[serde(rename = "type")]
    #[schema(example = "https://gridlink.dev/problems/validation")]
    kind: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Invalid request")]
    title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    status: u16,
    /// A human-readable explanation of this occurrence.
    detail: String,
    /// Present on validation errors: one entry per invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
}

/// The description of the `Problem` schema: every `type` with its meaning.
fn problem_types_description() -> String {
    let mut text = String::from("An RFC 9457 problem document. `type` is one of these URIs:\n\n");
    for kind in ProblemType::ALL {
        text.push_str(&format!(
            "- `{}` ({}): {}\n",
            kind.uri(),
            kind.status().as_u16(),
            kind.description()
        ));
    }
    text
}

/// A problem+json response with `description`.
pub fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
    ]
    .into_iter()
    .flatten()
}

/// Adds a problem+json response for each `(status, description)` to every
/// operation of the document that does not document that status yet.
pub fn add_problem_responses(openapi: &mut OpenApi, problems: &[(&str, &str)]) {
    for item in openapi.paths.paths.values_mut() {
        for operation in operations(item) {
            for (status, description) in problems {
                operation
                    .responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| problem_response(description).into());
            }
        }
    }
}

/// The security schemes an operation names, and whether it also admits
/// callers without credentials (an empty requirement).
fn security_of(operation: &utoipa::openapi::path::Operation) -> (Vec<String>, bool) {
    let mut schemes = Vec::new();
    let mut anonymous = false;
    for requirement in operation.security.iter().flatten() {
        let names = serde_json::to_value(requirement)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
            .unwrap_or_default();
        anonymous |= names.is_empty();
        schemes.extend(names);
    }
    (schemes, anonymous)
}

/// Adds the problem responses an operation can give by its shape: 500 and
/// 503 always; 400, 413 and 415 where it takes a JSON body (400 where it takes
/// parameters); 401 where it looks at a token; 404 where its path names an
/// object. Every response gets a description (OpenAPI requires one).
fn add_standard_problems(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let names_an_object = path.contains('{');
        for operation in operations(item) {
            // An operation that names no security needs no token: say so.
            operation.security.get_or_insert_with(Vec::new);
            let (schemes, anonymous) = security_of(operation);
            let takes_body = operation.request_body.is_some();
            let has_parameters = !operation.parameters.as_ref().is_none_or(Vec::is_empty);
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description).into());
            };
            if takes_body {
                add("400", "Malformed JSON, unknown fields or invalid values");
                add("413", "Request body over 64 KiB");
                add("415", "Request body is not application/json");
            } else if has_parameters {
                add("400", "Invalid parameters");
            }
            if schemes.iter().any(|s| s == "bearer") {
                add(
                    "401",
                    if anonymous {
                        "The access token sent is invalid or expired (see WWW-Authenticate)"
                    } else {
                        "No access token, or an invalid or expired one (see WWW-Authenticate)"
                    },
                );
            }
            if schemes.iter().any(|s| s == "service_token") {
                add("401", "No valid service token");
            }
            if names_an_object {
                add("404", "No such object, or one the caller may not see");
            }
            add("500", "Unexpected failure");
            add("503", "A dependency is unavailable; see Retry-After");
            for (status, response) in responses.iter_mut() {
                if let utoipa::openapi::RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Response")
                        .to_owned();
                }
            }
        }
    }
}

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
    let mut problem = ProblemSchema::schema();
    if let utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(object)) = &mut problem
    {
        object.description = Some(problem_types_description());
    }
    components
        .schemas
        .insert(ProblemSchema::name().into_owned(), problem);
    components
        .schemas
        .insert(FieldError::name().into_owned(), FieldError::schema());
    add_standard_problems(&mut api);
    api
}
