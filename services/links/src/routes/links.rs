//! The public links API.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Json, MaybeAuthenticated, Query};
use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service::Pager;

use super::{
    ensure_owned, grid_not_found, link_slug, live_link, owned_grid, visible_grid, visible_link,
};
use crate::api::{CreateLink, LinkPage, LinkView, ListQuery, ReorderLinks, UpdateLink};
use crate::db::links::{self, MAX_LINKS_PER_GRID};
use crate::domain::{LinkInput, LinkUpdate, Reorder, SearchQuery};
use crate::state::AppState;

/// Add a link to one of your grids.
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    request_body = CreateLink,
    responses(
        (status = 201, body = LinkView, headers(("location" = String))),
        (status = 403, description = "Someone else's grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The grid is full, or busy with your other changes to it (problem type `busy`: retry after Retry-After)", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait when the grid was busy"))),
    )
)]
#[post("/api/v1/links")]
pub async fn create_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateLink>,
) -> Result<HttpResponse, ApiError> {
    let input = LinkInput::try_from(body.into_inner())?;
    let turn = state.writes.turn(&auth.user_id, &input.grid).await?;
    owned_grid(&state.grids.scoped(), &input.grid, &auth.user_id).await?;
    let slug = LinkSlug::generate();
    let link = links::insert(&turn, &slug, &input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/links/{slug}")))
        .json(LinkView::from(link)))
}

/// One link. Links of private grids, and links that are not live (disabled,
/// scheduled, expired), are 404 to everyone but the owner.
#[utoipa::path(
    security((), ("bearer" = [])),
    tag = "links",
    params(("slug" = LinkSlug, Path)),
    responses(
        (status = 200, body = LinkView),
    )
)]
#[get("/api/v1/links/{slug}")]
pub async fn get_link(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let grids = state.grids.scoped();
    let link = visible_link(&state, &grids, &link_slug(&slug)?, caller.user_id()).await?;
    Ok(HttpResponse::Ok().json(LinkView::from(link)))
}

/// A grid's links (`grid=`): the owner gets every link by position, with its
/// `state`; everyone else the live ones, pinned first, then by position. Or
/// a ranked full-text search over your own links (`q=`).
#[utoipa::path(
    security((), ("bearer" = [])),
    tag = "links",
    params(ListQuery),
    responses(
        (status = 200, body = LinkPage),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, description = "q= without a token", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/links")]
pub async fn list_links(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    match (query.grid.as_deref(), query.q.as_deref()) {
        (Some(grid), None) => {
            let grid = GridSlug::parse(grid).map_err(|_| grid_not_found())?;
            grid_page(&state, &grid, caller.user_id(), &query).await
        }
        (None, Some(q)) => {
            let owner = caller
                .user_id()
                .ok_or_else(|| ApiError::Unauthorized("search needs an access token".into()))?;
            let q =
                SearchQuery::parse(q).map_err(|e| ApiError::invalid_field("q", e.to_string()))?;
            search_page(&state, owner, &q, &query).await
        }
        _ => Err(ApiError::bad_request("give either grid= or q=")),
    }
}

async fn grid_page(
    state: &AppState,
    grid: &GridSlug,
    viewer: Option<&UserId>,
    query: &ListQuery,
) -> Result<HttpResponse, ApiError> {
    let grids = state.grids.scoped();
    let grid_ref = visible_grid(state, &grids, grid, viewer)
        .await?
        .ok_or_else(grid_not_found)?;
    let page = if viewer == Some(&grid_ref.owner) {
        // The owner: every link, by position.
        let pager = Pager::<i32>::new(
            &state.cursors,
            format!("grid:{grid}"),
            query.limit,
            query.cursor.as_deref(),
        )?;
        let mut conn = state.db.conn().await?;
        let rows = links::page(&mut conn, grid, pager.after().copied(), pager.fetch()).await?;
        pager.page(rows, |link| link.position.unwrap_or_default())
    } else {
        // Everyone else: the public links, in the public pages' order, so a
        // page's `links_next_cursor` continues here.
        let pager = Pager::<(bool, i32)>::new(
            &state.cursors,
            super::public_listing(grid),
            query.limit,
            query.cursor.as_deref(),
        )?;
        let mut conn = state.db.conn().await?;
        let rows =
            links::public_page(&mut conn, grid, pager.after().copied(), pager.fetch()).await?;
        pager.page(rows, |link| {
            (link.pinned, link.position.unwrap_or_default())
        })
    };
    Ok(HttpResponse::Ok().json(LinkPage::from(page.map(LinkView::from))))
}

async fn search_page(
    state: &AppState,
    owner: &UserId,
    q: &str,
    query: &ListQuery,
) -> Result<HttpResponse, ApiError> {
    let pager = Pager::<(f32, i64)>::new(
        &state.cursors,
        format!("search:{owner}:{q}"),
        query.limit,
        query.cursor.as_deref(),
    )?;
    let mut conn = state.db.conn().await?;
    let hits = links::search(&mut conn, owner, q, pager.after().copied(), pager.fetch())
        .await
        .map_err(|e| match e {
            links::SearchError::TooComplex => ApiError::invalid_field(
                "q",
                "has more operators than a search can take; use fewer `-`, `or` and quotes",
            ),
            links::SearchError::Db(e) => e.into(),
        })?;
    let page = pager
        .page(hits, |hit| (hit.rank, hit.link.id))
        .map(|hit| LinkView::from(hit.link));
    Ok(HttpResponse::Ok().json(LinkPage::from(page)))
}

/// Change a link (owner only).
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    params(("slug" = LinkSlug, Path)),
    request_body = UpdateLink,
    responses(
        (status = 200, body = LinkView),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The grid is busy with your other changes to it (problem type `busy`: retry after Retry-After)", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait when the grid was busy"))),
    )
)]
#[patch("/api/v1/links/{slug}")]
pub async fn update_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    body: Json<UpdateLink>,
) -> Result<HttpResponse, ApiError> {
    let update = LinkUpdate::try_from(body.into_inner())?;
    let link = live_link(&state, &link_slug(&slug)?).await?;
    let turn = state.writes.turn(&auth.user_id, &link.grid).await?;
    ensure_owned(&state.grids.scoped(), &link, &auth.user_id).await?;
    let link = links::update(&turn, &link, &update).await?;
    Ok(HttpResponse::Ok().json(LinkView::from(link)))
}

/// Put a grid's links in a new order, in one transaction.
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    request_body = ReorderLinks,
    responses(
        (status = 204, description = "Reordered"),
        (status = 403, description = "Someone else's grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "`links` is not every live link of the grid, once each; or the grid is busy with your other changes to it (problem type `busy`: retry after Retry-After)", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait when the grid was busy"))),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/links/order")]
pub async fn reorder_links(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<ReorderLinks>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.links.len() as i64 > MAX_LINKS_PER_GRID {
        return Err(ApiError::invalid_field("links", "too many links"));
    }
    let order = Reorder::try_from(body)?;
    let turn = state.writes.turn(&auth.user_id, &order.grid).await?;
    owned_grid(&state.grids.scoped(), &order.grid, &auth.user_id).await?;
    links::reorder(&turn, &order.links).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete a link (owner only).
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    params(("slug" = LinkSlug, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The grid is busy with your other changes to it (problem type `busy`: retry after Retry-After)", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait when the grid was busy"))),
    )
)]
#[delete("/api/v1/links/{slug}")]
pub async fn delete_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let link = live_link(&state, &link_slug(&slug)?).await?;
    let turn = state.writes.turn(&auth.user_id, &link.grid).await?;
    ensure_owned(&state.grids.scoped(), &link, &auth.user_id).await?;
    links::soft_delete(&turn, &link).await?;
    Ok(HttpResponse::NoContent().finish())
}
