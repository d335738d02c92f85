//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_http::Query;
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{GridSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service_auth::InternalCaller;

use super::{grid_not_found, grid_slug};
use crate::api::{GridList, GridRef, GridView, OwnerQuery};
use crate::db::grids::{self, Listing};
use crate::state::AppState;

/// Most public grids a profile shows.
pub const PROFILE_GRIDS: i64 = 200;

/// A live grid's owner and visibility (the links service checks writes with it).
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(("slug" = GridSlug, Path)),
    responses(
        (status = 200, body = GridRef),
        (status = 404, description = "Unknown or deleted", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/grids/{slug}")]
pub async fn grid_ref(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = grid_slug(&slug)?;
    let mut conn = state.db.conn().await?;
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
    )
)]
#[get("/internal/v1/grids")]
pub async fn public_grids_of_owner(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    query: Query<OwnerQuery>,
) -> Result<HttpResponse, ApiError> {
    let owner =
        UserId::parse(&query.owner).map_err(|e| ApiError::invalid_field("owner", e.to_string()))?;
    let mut conn = state.db.conn().await?;
    let rows = grids::page(&mut conn, &owner, Listing::Public, None, PROFILE_GRIDS).await?;
    Ok(HttpResponse::Ok().json(GridList {
        items: rows.into_iter().map(GridView::from).collect(),
    }))
}
