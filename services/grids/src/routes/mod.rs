//! HTTP handlers: thin adapters between the API and the queries.

mod grids;
mod internal;

use gridlink_ids::{GridSlug, UserId};
use gridlink_problem::ApiError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{self, grids::Grid};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(grids::create_grid)
        .service(grids::list_grids)
        .service(grids::get_grid)
        .service(grids::update_grid)
        .service(grids::delete_grid)
        .service(internal::grid_ref)
        .service(internal::public_grids_of_owner);
}

/// A grid slug from a path; anything else names no grid.
fn grid_slug(raw: &str) -> Result<GridSlug, ApiError> {
    GridSlug::parse(raw).map_err(|_| grid_not_found())
}

/// A live grid that `viewer` may see: private grids are invisible to
/// everyone but their owner.
async fn visible_grid(
    state: &AppState,
    slug: &GridSlug,
    viewer: Option<&UserId>,
) -> Result<Grid, ApiError> {
    let mut conn = state.db.conn().await?;
    match db::grids::find_live(&mut conn, slug).await? {
        Some(grid) if grid.visibility.shows_to(viewer == Some(&grid.owner)) => Ok(grid),
        _ => Err(grid_not_found()),
    }
}

/// A live grid that `caller` owns; a visible grid of someone else is a 403.
async fn owned_grid(state: &AppState, slug: &GridSlug, caller: &UserId) -> Result<Grid, ApiError> {
    let grid = visible_grid(state, slug, Some(caller)).await?;
    if &grid.owner != caller {
        return Err(ApiError::Forbidden(
            "only the grid's owner may change it".into(),
        ));
    }
    Ok(grid)
}

fn grid_not_found() -> ApiError {
    ApiError::NotFound("no such grid".into())
}
