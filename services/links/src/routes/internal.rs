//! Routes for the other services (service token required).

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use gridlink_http::Json;
use gridlink_ids::GridSlug;
use gridlink_problem::ApiError;
use gridlink_service_auth::InternalCaller;
use links_client::LinkTarget;

use super::{known_grid, link_not_found, link_slug, public_listing};
use crate::api::LinkState;
use crate::api::{BatchRequest, BatchResponse};
use crate::db::links;
use crate::heads;
use crate::state::AppState;

pub const MAX_BATCH_GRIDS: usize = 200;

/// The first public links of many grids in one call (the gateway's pages):
/// each grid's links, the cursor that continues them, and when they next
/// change by themselves. One statement when every grid's head is rendered
/// (see `crate::heads`). A read, sent as POST because the list can be long.
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
    let heads = if grids.is_empty() {
        Vec::new()
    } else {
        heads::read(&state.db, &grids).await?
    };
    // The visitors' listing of the grid continues where its head ends.
    let body = heads::batch_json(&heads, |grid, after| {
        state.cursors.encode(&public_listing(grid), &after)
    });
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
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
