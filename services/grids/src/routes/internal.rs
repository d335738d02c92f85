//! Routes for the other services (service token required).

use actix_web::{HttpResponse, get, web};
use gridlink_http::Query;
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{GridSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service::Pager;
use gridlink_service_auth::InternalCaller;
use grids_client::{PROFILE_GRIDS_DEFAULT, PROFILE_GRIDS_MAX};

use super::{grid_not_found, grid_slug};
use crate::api::{GridList, GridView, OwnerQuery};
use crate::db::grids::{self, Listing};
use crate::state::AppState;

/// A live grid, whatever its visibility: the links service checks reads and
/// writes with its owner and visibility (`GridRef`, a part of it), the
/// gateway shows it on the grid's page.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(("slug" = GridSlug, Path)),
    responses(
        (status = 200, body = GridView),
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
    Ok(HttpResponse::Ok().json(GridView::from(grid)))
}

/// A page of an owner's public grids, newest first (the profile page): the
/// public listing's pages and cursors, at most 50 grids a page.
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
    let pager = Pager::<i64>::bounded(
        &state.cursors,
        super::grids::public_listing(&owner),
        query.limit,
        query.cursor.as_deref(),
        PROFILE_GRIDS_DEFAULT,
        PROFILE_GRIDS_MAX,
    )?;
    let mut conn = state.db.conn().await?;
    let rows = grids::page(
        &mut conn,
        &owner,
        Listing::Public,
        pager.after().copied(),
        pager.fetch(),
    )
    .await?;
    let page = pager.page(rows, |grid| grid.id).map(GridView::from);
    Ok(HttpResponse::Ok().json(GridList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
