//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_http::Query;
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::UserId;
use gridlink_problem::ApiError;
use gridlink_service_auth::InternalCaller;
use serde::Deserialize;

use super::users::{no_such_user, username};
use crate::api::{ErasureStatus, PublicUser, ServiceErasure, UserBatch};
use crate::db::users::User;
use crate::db::{erasures, sessions, users};
use crate::state::AppState;
use gridlink_access_token::RevocationList;

const MAX_BATCH: usize = 100;

/// The live user with this username (any case), or 404.
pub(super) async fn by_username(state: &AppState, raw: &str) -> Result<User, ApiError> {
    let username = username(raw)?;
    let mut conn = state.db.conn().await?;
    users::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(no_such_user)
}

/// A user by username (the gateway's profile page).
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    responses(
        (status = 200, body = PublicUser),
    )
)]
#[get("/internal/v1/users/by-username/{username}")]
pub async fn user_by_username(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = by_username(&state, &username).await?;
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
    )
)]
#[get("/internal/v1/users")]
pub async fn users_by_ids(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    query: Query<IdsQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids = query
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(UserId::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid_field("ids", e.to_string()))?;
    if ids.len() > MAX_BATCH {
        return Err(ApiError::invalid_field(
            "ids",
            format!("at most {MAX_BATCH} ids per request"),
        ));
    }
    let mut conn = state.db.conn().await?;
    let items = users::find_many(&mut conn, &ids)
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
        (status = 404, description = "No deleted user with this id", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/users/{user_id}/erasure")]
pub async fn erasure_status(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    user_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_deleted = || ApiError::NotFound("no deleted user with this id".into());
    let user_id = UserId::parse(&user_id).map_err(|_| not_deleted())?;
    let mut conn = state.db.conn().await?;
    let (deleted_at, confirmed) = erasures::status(&mut conn, &user_id)
        .await?
        .ok_or_else(not_deleted)?;
    let pending: Vec<String> = state
        .erasure_services
        .iter()
        .filter(|s| !confirmed.iter().any(|(done, _)| done == *s))
        .cloned()
        .collect();
    Ok(HttpResponse::Ok().json(ErasureStatus {
        user_id,
        deleted_at,
        complete: pending.is_empty(),
        pending,
        confirmed: confirmed
            .into_iter()
            .map(|(service, erased_at)| ServiceErasure { service, erased_at })
            .collect(),
    }))
}

/// The sessions that ended and the accounts deleted within the last
/// access-token lifetime: what a token verifier reads when it (re)starts
/// following `user.sessions_revoked`, or while the broker is down.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    responses((status = 200, body = RevocationList))
)]
#[get("/internal/v1/sessions/revoked")]
pub async fn revoked_sessions(
    _caller: InternalCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.conn().await?;
    let list = sessions::revoked_since(&mut conn, revocations_since()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Revocations older than this cannot name a live access token.
pub fn revocations_since() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::seconds(gridlink_access_token::MAX_TTL_SECS + 60)
}
