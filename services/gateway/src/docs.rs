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
#[openapi(
    info(
        title = "Gridlink public API",
        version = "1.0.0",
        description = "Everything clients reach through the gateway. Errors are RFC 9457 problem \
                       details; lists are cursor-paginated; rate limits answer 429 with Retry-After \
                       and RateLimit-Policy / RateLimit.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Gridlink", url = "https://gridlink.dev")
    ),
    servers((url = "http://127.0.0.1:8080", description = "A local stack (`make up`)"))
)]
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

/// The public contract: the gateway's own routes merged with the services'
/// public ones, with what the edge adds (its own answers and headers), the
/// server, the tags, and nothing internal (no `/internal` route, no service
/// token scheme, no schema only internal routes use).
pub fn public_document(
    services: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> utoipa::openapi::OpenApi {
    let mut document = own_document();
    for service in services {
        refuse_clashes(&document, &service);
        document.merge(service);
    }
    document
        .paths
        .paths
        .retain(|path, _| !path.starts_with("/internal"));
    add_edge_responses(&mut document);
    add_response_headers(&mut document);
    document.servers = Some(vec![
        utoipa::openapi::server::ServerBuilder::new()
            .url("http://127.0.0.1:8080")
            .description(Some("The gateway of a local stack (`make up`)"))
            .build(),
    ]);
    document.tags = Some(
        TAGS.iter()
            .map(|(name, description)| {
                utoipa::openapi::tag::TagBuilder::new()
                    .name(*name)
                    .description(Some(*description))
                    .build()
            })
            .collect(),
    );
    drop_internal_components(&mut document);
    document
}

/// Merging keeps the first of two schemas with one name: two different ones
/// would silently leave a route described by the wrong one.
fn refuse_clashes(document: &utoipa::openapi::OpenApi, service: &utoipa::openapi::OpenApi) {
    let (Some(ours), Some(theirs)) = (&document.components, &service.components) else {
        return;
    };
    for (name, schema) in &theirs.schemas {
        if let Some(existing) = ours.schemas.get(name) {
            assert_eq!(
                serde_json::to_value(existing).ok(),
                serde_json::to_value(schema).ok(),
                "two different schemas are named {name}: rename one"
            );
        }
    }
}

const TAGS: [(&str, &str); 7] = [
    ("auth", "Signing up, logging in, tokens and their keys"),
    (
        "sessions",
        "Your sign-in sessions: list them, end one or all",
    ),
    ("users", "The signed-in user's account, and public users"),
    ("grids", "Pages of links: public, unlisted or private"),
    ("links", "The links of a grid, and search over your own"),
    ("profiles", "A user's public page in one response"),
    (
        "stats",
        "Your pages' views and your links' clicks (yours alone)",
    ),
];

/// What the edge itself may answer on any public route, before or instead of
/// the service: a bad token (401), the rate limit (429), an oversized body
/// (413), an unavailable or failing upstream (502, 503) and a slow one (504).
fn add_edge_responses(document: &mut utoipa::openapi::OpenApi) {
    gridlink_http::openapi::add_problem_responses(
        document,
        &[
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

fn header(
    description: &str,
    schema: utoipa::openapi::Object,
) -> utoipa::openapi::RefOr<utoipa::openapi::header::Header> {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description))
        .build()
        .into()
}

fn string() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .build()
}

fn integer() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(0))
        .build()
}

/// The headers clients rely on, on the responses that carry them.
fn add_response_headers(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for (status, response) in operation.responses.responses.iter_mut() {
                let utoipa::openapi::RefOr::T(response) = response else {
                    continue;
                };
                let headers = &mut response.headers;
                headers.insert(
                    "X-Request-Id".into(),
                    header(
                        "The request's id: the one sent, or one the gateway made",
                        string(),
                    ),
                );
                headers.insert(
                    "RateLimit-Policy".into(),
                    header("The caller's budgets (IETF RateLimit fields)", string()),
                );
                headers.insert(
                    "RateLimit".into(),
                    header(
                        "What is left of the tightest budget, and when it is full again",
                        string(),
                    ),
                );
                match status.as_str() {
                    "401" => {
                        headers.insert(
                            "WWW-Authenticate".into(),
                            header(
                                "`Bearer`, or `Bearer error=\"invalid_token\"` for a refused token (RFC 6750)",
                                string(),
                            ),
                        );
                    }
                    "429" | "503" | "504" => {
                        headers.insert(
                            "Retry-After".into(),
                            header("Seconds to wait before trying again", integer()),
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Removes the service-token scheme and every schema no public operation
/// reaches (the internal routes' bodies).
fn drop_internal_components(document: &mut utoipa::openapi::OpenApi) {
    let Some(components) = document.components.as_mut() else {
        return;
    };
    components.security_schemes.remove("service_token");
    let paths = serde_json::to_value(&document.paths).expect("paths serialise");
    let schemas = serde_json::to_value(&components.schemas).expect("schemas serialise");
    let mut reached = std::collections::BTreeSet::new();
    let mut pending = references(&paths);
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone())
            && let Some(schema) = schemas.get(&name)
        {
            pending.extend(references(schema));
        }
    }
    components.schemas.retain(|name, _| reached.contains(name));
}

/// The schema names `value` refers to (`#/components/schemas/<name>`).
fn references(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| match (key.as_str(), value) {
                ("$ref", serde_json::Value::String(target)) => target
                    .strip_prefix("#/components/schemas/")
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
                _ => references(value),
            })
            .collect(),
        serde_json::Value::Array(items) => items.iter().flat_map(references).collect(),
        _ => Vec::new(),
    }
}
