//! HTTP handlers: thin adapters between the API, the grids client and the
//! queries.

mod internal;
mod links;

use gridlink_ids::{SlugKind, is_slug};
use gridlink_problem::ApiError;
use grids_client::{GridRef, ScopedGrids};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{self, links::Link};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(links::create_link)
        .service(links::list_links)
        .service(links::reorder_links)
        .service(links::get_link)
        .service(links::update_link)
        .service(links::delete_link)
        .service(internal::links_of_grids);
}

fn grid_not_found() -> ApiError {
    ApiError::NotFound("no such grid".into())
}

fn link_not_found() -> ApiError {
    ApiError::NotFound("no such link".into())
}

/// A live grid `viewer` may see, asked of the grids service.
async fn visible_grid(
    grids: &ScopedGrids<'_>,
    slug: &str,
    viewer: Option<&str>,
) -> Result<GridRef, ApiError> {
    if !is_slug(SlugKind::Grid, slug) {
        return Err(grid_not_found());
    }
    match grids.grid_ref(slug).await? {
        Some(grid) if grid.visible_to(viewer) => Ok(grid),
        _ => Err(grid_not_found()),
    }
}

/// A live grid that `caller` owns; someone else's visible grid is a 403.
async fn owned_grid(
    grids: &ScopedGrids<'_>,
    slug: &str,
    caller: &str,
) -> Result<GridRef, ApiError> {
    let grid = visible_grid(grids, slug, Some(caller)).await?;
    if grid.owner != caller {
        return Err(ApiError::Forbidden(
            "only the grid's owner may change its links".into(),
        ));
    }
    Ok(grid)
}

/// A live link `viewer` may see: its grid must be live and visible to them.
async fn visible_link(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &str,
    viewer: Option<&str>,
) -> Result<Link, ApiError> {
    if !is_slug(SlugKind::Link, slug) {
        return Err(link_not_found());
    }
    let link = {
        let mut conn = state.pool.get().await?;
        db::links::find_live(&mut conn, slug)
            .await?
            .ok_or_else(link_not_found)?
    };
    visible_grid(grids, &link.grid, viewer)
        .await
        .map_err(|_| link_not_found())?;
    Ok(link)
}

/// A live link that `caller` owns; someone else's visible link is a 403.
async fn owned_link(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &str,
    caller: &str,
) -> Result<Link, ApiError> {
    let link = visible_link(state, grids, slug, Some(caller)).await?;
    if link.owner != caller {
        return Err(ApiError::Forbidden(
            "only the link's owner may change it".into(),
        ));
    }
    Ok(link)
}
