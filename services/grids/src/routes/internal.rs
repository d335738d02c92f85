//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_ids::{SlugKind, is_slug};
use gridlink_problem::{ApiError, ProblemSchema};
use gridlink_service_auth::InternalCaller;

use super::grid_not_found;
use crate::api::{GridList, GridRef, GridView, OwnerQuery};
use crate::db::grids::{self, Listing};
use crate::state::AppState;

/// Most public grids a profile shows.
pub const PROFILE_GRIDS: i64 = 200;

/// A live grid's owner and visibility (the links service checks writes with it).
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 200, body = GridRef),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or deleted", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/grids/{slug}")]
pub async fn grid_ref(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !is_slug(SlugKind::Grid, &slug) {
        return Err(grid_not_found());
    }
    let mut conn = state.pool.get().await?;
    let grid = grids::find_live(&mut conn, &slug)
        .await?
        .ok_or_else(grid_not_found)?;
    Ok(HttpResponse::Ok().json(GridRef::from(grid)))
}

/// An owner's public grids, newest first, at most 200 (the profile page).
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(OwnerQuery),
    responses(
        (status = 200, body = GridList),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/grids")]
pub async fn public_grids_of_owner(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<OwnerQuery>,
) -> Result<HttpResponse, ApiError> {
    if !is_slug(SlugKind::User, &query.owner) {
        return Err(ApiError::bad_request("owner must be a user id"));
    }
    let mut conn = state.pool.get().await?;
    let rows = grids::page(
        &mut conn,
        &query.owner,
        Listing::Public,
        None,
        PROFILE_GRIDS,
    )
    .await?;
    Ok(HttpResponse::Ok().json(GridList {
        items: rows.into_iter().map(GridView::from).collect(),
    }))
}
