//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_ids::{SlugKind, is_slug};
use gridlink_problem::{ApiError, ProblemSchema};
use gridlink_service_auth::InternalCaller;
use serde::Deserialize;

use crate::api::{ErasureStatus, PublicUser, ServiceErasure, UserBatch};
use crate::db::{erasures, users};
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

/// For a deleted user: which services confirmed erasing their data.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(("user_id" = String, Path, description = "The deleted user's id (us_...)")),
    responses(
        (status = 200, body = ErasureStatus),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No deleted user with this id", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/users/{user_id}/erasure")]
pub async fn erasure_status(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    user_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !is_slug(SlugKind::User, &user_id) {
        return Err(ApiError::NotFound("no deleted user with this id".into()));
    }
    let mut conn = state.pool.get().await?;
    let (deleted_at, confirmed) = erasures::status(&mut conn, &user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no deleted user with this id".into()))?;
    let pending: Vec<String> = state
        .erasure_services
        .iter()
        .filter(|s| !confirmed.iter().any(|(done, _)| done == *s))
        .cloned()
        .collect();
    Ok(HttpResponse::Ok().json(ErasureStatus {
        user_id: user_id.into_inner(),
        deleted_at,
        complete: pending.is_empty(),
        pending,
        confirmed: confirmed
            .into_iter()
            .map(|(service, erased_at)| ServiceErasure { service, erased_at })
            .collect(),
    }))
}
