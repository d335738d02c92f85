//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_ids::{SlugKind, is_slug};
use gridlink_problem::{ApiError, ProblemSchema};
use gridlink_service_auth::InternalCaller;
use serde::Deserialize;

use crate::api::{PublicUser, UserBatch};
use crate::db::users;
use crate::state::AppState;

const MAX_BATCH: usize = 100;

/// A user by username (the gateway's profile page).
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    responses(
        (status = 200, body = PublicUser),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/users/by-username/{username}")]
pub async fn user_by_username(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = users::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
    Ok(HttpResponse::Ok().json(PublicUser::from(user)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct IdsQuery {
    /// Comma-separated user ids (`us_...`), at most 100.
    ids: String,
}

/// Many users at once by id, in one query; unknown ids are left out.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(IdsQuery),
    responses(
        (status = 200, body = UserBatch),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/users")]
pub async fn users_by_ids(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<IdsQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids: Vec<String> = query
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BATCH} ids per request"
        )));
    }
    if let Some(bad) = ids.iter().find(|id| !is_slug(SlugKind::User, id)) {
        return Err(ApiError::bad_request(format!("`{bad}` is not a user id")));
    }
    let mut conn = state.pool.get().await?;
    let items = users::find_many_by_slug(&mut conn, &ids)
        .await?
        .into_iter()
        .map(PublicUser::from)
        .collect();
    Ok(HttpResponse::Ok().json(UserBatch { items }))
}
