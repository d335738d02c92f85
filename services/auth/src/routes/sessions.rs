//! The signed-in user's sessions: list them, end one, end the others.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Query};
use gridlink_ids::SessionId;
use gridlink_problem::ApiError;

use super::users::account;
use crate::api::{EndSessionsQuery, SessionList, SessionView};
use crate::db::sessions::{self, Which};
use crate::state::AppState;

fn no_such_session() -> ApiError {
    ApiError::NotFound("no such session".into())
}

/// Your live sessions, newest first.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    responses((status = 200, body = SessionList))
)]
#[get("/api/v1/auth/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user = account(&state, &auth).await?;
    let mut conn = state.db.conn().await?;
    let items = sessions::live_of(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.slug == auth.claims.sid,
            id: s.slug,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            client: s.client,
        })
        .collect();
    Ok(super::private(StatusCode::OK).json(SessionList { items }))
}

/// End one of your sessions: its refresh token stops working at once, its
/// access tokens at every service within a second.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(("id" = SessionId, Path)),
    responses(
        (status = 204, description = "Session ended"),
        (status = 404, description = "No live session of yours has this id", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/auth/sessions/{id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sid = SessionId::parse(&id).map_err(|_| no_such_session())?;
    let user = account(&state, &auth).await?;
    let mut conn = state.db.conn().await?;
    let ended = sessions::revoke(&mut conn, user.id, &user.slug, Which::One(&sid)).await?;
    if ended.is_empty() {
        return Err(no_such_session());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// End every other session ("log out everywhere else"), or every one with
/// `include_current=true`.
#[utoipa::path(
    tag = "sessions",
    security(("bearer" = [])),
    params(EndSessionsQuery),
    responses((status = 204, description = "Sessions ended"))
)]
#[delete("/api/v1/auth/sessions")]
pub async fn end_sessions(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<EndSessionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = account(&state, &auth).await?;
    let keep = (!query.include_current.unwrap_or(false)).then_some(&auth.claims.sid);
    let mut conn = state.db.conn().await?;
    sessions::revoke(&mut conn, user.id, &user.slug, Which::AllBut(keep)).await?;
    Ok(HttpResponse::NoContent().finish())
}
