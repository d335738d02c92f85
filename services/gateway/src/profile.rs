//! GET /api/v1/profiles/{username}: a user's public page in one response, for
//! exactly three backend calls whatever its size: the user (auth), their
//! public grids (grids), and the live links of all those grids (links).

use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use chrono::{DateTime, Utc};
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{GridSlug, LinkSlug, UserId, Username, Visibility};
use gridlink_problem::{ApiError, FieldError};
use gridlink_rest_client::ClientError;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::edge;
use crate::state::{Backend, Gateway};

/// What anyone may see of a user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicUser)]
pub struct ProfileUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileLink {
    pub slug: LinkSlug,
    pub grid: GridSlug,
    pub title: String,
    pub url: String,
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    pub position: i32,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileGrid {
    pub slug: GridSlug,
    pub owner: UserId,
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
    /// The grid's live links, in position order.
    // The links service's own JSON, passed through without being decoded
    // and encoded again.
    #[schema(value_type = Vec<ProfileLink>)]
    pub links: Box<RawValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub user: ProfileUser,
    /// Public grids, newest first.
    pub grids: Vec<ProfileGrid>,
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
        user: ProfileUser {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            bio: user.bio,
            created_at: user.created_at,
        },
        grids: grids
            .into_iter()
            .map(|g| ProfileGrid {
                links: links.remove(&g.slug).unwrap_or_else(no_links),
                slug: g.slug,
                owner: g.owner,
                title: g.title,
                description: g.description,
                visibility: g.visibility,
                created_on: g.created_on,
                modified_on: g.modified_on,
            })
            .collect(),
    })
}

fn no_links() -> Box<RawValue> {
    RawValue::from_string("[]".to_owned()).expect("[] is JSON")
}
