//! GET /api/v1/profiles/{username}: a user's public page in one response, for
//! exactly three backend calls whatever its size: the user (auth), their
//! public grids (grids), and the live links of all those grids (links).

use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{GridSlug, Username};
use gridlink_problem::{ApiError, FieldError};
use gridlink_rest_client::ClientError;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};

use crate::edge;
use crate::state::{Backend, Gateway};

/// A public grid with its live links: the grids service's `GridView` and a
/// `links` array of the links service's `LinkView`, as those services send them.
#[derive(Debug, Serialize)]
pub struct ProfileGrid {
    #[serde(flatten)]
    pub grid: grids_client::Grid,
    // The links service's own JSON, passed through without being decoded
    // and encoded again.
    pub links: Box<RawValue>,
}

impl utoipa::PartialSchema for ProfileGrid {
    fn schema() -> RefOr<Schema> {
        let links = ArrayBuilder::new()
            .items(Ref::from_schema_name("LinkView"))
            .description(Some("The grid's live links, in position order."));
        AllOfBuilder::new()
            .item(Ref::from_schema_name("GridView"))
            .item(
                ObjectBuilder::new()
                    .property("links", links)
                    .required("links"),
            )
            .into()
    }
}

impl ToSchema for ProfileGrid {}

#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    /// The auth service's `PublicUser`.
    #[schema(schema_with = public_user)]
    pub user: auth_client::User,
    /// Public grids, newest first.
    pub grids: Vec<ProfileGrid>,
}

fn public_user() -> Ref {
    Ref::from_schema_name("PublicUser")
}

/// A failed part of the profile, said as the problem's `errors`.
fn part_failed(part: &str, backend: &Backend, error: &ClientError) -> HttpResponse {
    let detail = format!(
        "the profile's {part} could not be loaded from the {} service",
        backend.name
    );
    let problem = match error {
        ClientError::Timeout { .. } => ApiError::GatewayTimeout(detail),
        ClientError::Unreachable { .. } => ApiError::unavailable(detail),
        _ => ApiError::BadGateway(detail),
    };
    problem
        .with_errors(vec![FieldError::new(part, error.to_string())])
        .error_response()
}

fn circuit_open(part: &str, backend: &Backend, wait: std::time::Duration) -> HttpResponse {
    ApiError::Unavailable {
        detail: format!(
            "the profile's {part} are unavailable: the {} service is failing",
            backend.name
        ),
        retry_after_secs: Some(wait.as_secs().max(1)),
    }
    .with_errors(vec![FieldError::new(part, "circuit open")])
    .error_response()
}

/// Runs one backend call under that backend's circuit breaker.
async fn call<T>(
    part: &str,
    backend: &Backend,
    work: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, HttpResponse> {
    let permit = backend
        .breaker
        .admit()
        .map_err(|wait| circuit_open(part, backend, wait))?;
    let result = work.await;
    let failed = matches!(
        &result,
        Err(ClientError::Timeout { .. }
            | ClientError::Unreachable { .. }
            | ClientError::Status {
                status: 502..=504,
                ..
            })
    );
    permit.record(!failed);
    result.map_err(|e| part_failed(part, backend, &e))
}

/// A user's public profile: their public grids with each grid's live links.
#[utoipa::path(
    tag = "profiles",
    params(("username" = String, Path, description = "Case-insensitive", pattern = "^[A-Za-z0-9_]{3,30}$")),
    responses(
        (status = 200, body = Profile),
        (status = 404, description = "Unknown or deleted user", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "A backend failed; `errors` names the part", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "A backend did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/profiles/{username}")]
pub async fn profile(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    username: web::Path<String>,
) -> HttpResponse {
    let admitted = match edge::admit(&req, &gateway, &gateway.profile).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let mut response = match assemble(&gateway, &username).await {
        Ok(profile) => HttpResponse::Ok().json(profile),
        Err(response) => response,
    };
    admitted.decorate(&mut response);
    response
}

fn no_such_user() -> HttpResponse {
    ApiError::NotFound("no such user".into()).error_response()
}

async fn assemble(gateway: &Gateway, username: &str) -> Result<Profile, HttpResponse> {
    let username = Username::parse(username).map_err(|_| no_such_user())?;
    let user = call(
        "user",
        &gateway.auth,
        gateway.users.user_by_username(&username),
    )
    .await?
    .ok_or_else(no_such_user)?;
    let grids = call(
        "grids",
        &gateway.grids,
        gateway.grids_client.public_grids(&user.id),
    )
    .await?;
    let slugs: Vec<GridSlug> = grids.iter().map(|g| g.slug.clone()).collect();
    let mut links = call(
        "links",
        &gateway.links,
        gateway.links_client.links_of_grids_json(&slugs),
    )
    .await?;
    Ok(Profile {
        user,
        grids: grids
            .into_iter()
            .map(|grid| ProfileGrid {
                links: links.remove(&grid.slug).unwrap_or_else(no_links),
                grid,
            })
            .collect(),
    })
}

fn no_links() -> Box<RawValue> {
    RawValue::from_string("[]".to_owned()).expect("[] is JSON")
}
