//! Routes for the other services (service token required).

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use gridlink_http::Json;
use gridlink_ids::GridSlug;
use gridlink_problem::ApiError;
use gridlink_service::Pager;
use gridlink_service_auth::InternalCaller;
use links_client::{LINKS_PER_GRID, LinkTarget};

use super::{known_grid, link_not_found, link_slug, public_listing};
use crate::api::LinkState;
use crate::api::{BatchRequest, BatchResponse, GridLinks, PublicLink};
use crate::db::links::{self, Link};
use crate::state::AppState;

pub const MAX_BATCH_GRIDS: usize = 200;

/// The first public links of many grids in one call and two statements,
/// pipelined (the gateway's pages): each grid's links, the cursor that continues them, and
/// when they next change by themselves. A read,
/// sent as POST because the list can be long.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    request_body = BatchRequest,
    responses(
        (status = 200, body = BatchResponse),
    )
)]
#[post("/internal/v1/links/batch")]
pub async fn links_of_grids(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    body: Json<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let grids = body.into_inner().grids;
    if grids.len() > MAX_BATCH_GRIDS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BATCH_GRIDS} grids per call"
        )));
    }
    let grids = grids
        .iter()
        .map(|g| GridSlug::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid_field("grids", e.to_string()))?;
    let mut by_grid: HashMap<GridSlug, Vec<Link>> =
        grids.iter().map(|g| (g.clone(), Vec::new())).collect();
    let mut changes: HashMap<GridSlug, _> = HashMap::new();
    if !grids.is_empty() {
        let conn = state.db.conn().await?;
        // Both statements go out at once, on one connection.
        let (heads, next) = tokio::try_join!(
            links::public_heads(&conn, &grids, LINKS_PER_GRID),
            links::next_changes(&conn, &grids),
        )?;
        for link in heads {
            if let Some(list) = by_grid.get_mut(&link.grid) {
                list.push(link);
            }
        }
        changes = next
            .into_iter()
            .map(|change| (change.grid, change.at))
            .collect();
    }
    let mut answer = HashMap::with_capacity(by_grid.len());
    for (grid, rows) in by_grid {
        // The visitors' listing of the grid, whose cursor continues it.
        let pager = Pager::<(bool, i32)>::bounded(
            &state.cursors,
            public_listing(&grid),
            None,
            None,
            LINKS_PER_GRID,
            LINKS_PER_GRID,
        )?;
        let page = pager
            .page(rows, |link| {
                (link.pinned, link.position.unwrap_or_default())
            })
            .map(PublicLink::from);
        let links = GridLinks {
            items: page.items,
            next_cursor: page.next_cursor,
            changes_at: changes.get(&grid).copied(),
        };
        answer.insert(grid, links);
    }
    Ok(HttpResponse::Ok().json(BatchResponse { grids: answer }))
}

/// Where a link sends its visitors, whose it is, and whether it does now
/// (live, in a public or unlisted grid): for `/r/{slug}` and the owner's
/// statistics. 404 for an unknown or deleted link, or a deleted grid's.
#[utoipa::path(
    tag = "internal",
    security(("service_token" = [])),
    params(("slug" = gridlink_ids::LinkSlug, Path)),
    responses(
        (status = 200, body = LinkTarget),
        (status = 404, body = gridlink_http::openapi::ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/internal/v1/links/{slug}/target")]
pub async fn link_target(
    _caller: InternalCaller,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = link_slug(&slug)?;
    let (link, copy) = {
        let mut conn = state.db.conn().await?;
        links::find_live_with_grid(&mut conn, &slug)
            .await?
            .ok_or_else(link_not_found)?
    };
    let grid = known_grid(&state, &state.grids.scoped(), &link.grid, copy)
        .await?
        .ok_or_else(link_not_found)?;
    let now = Utc::now();
    let changes_at = [link.starts_at, link.ends_at]
        .into_iter()
        .flatten()
        .filter(|at| *at > now)
        .min()
        .filter(|_| link.enabled);
    Ok(HttpResponse::Ok().json(LinkTarget {
        redirects: link.state(now) == LinkState::Live && grid.visible_to(None),
        link: link.slug,
        grid: link.grid,
        owner: link.owner,
        url: link.url,
        changes_at,
    }))
}
