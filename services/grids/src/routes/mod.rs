//! HTTP handlers: thin adapters between the API and the queries.

mod grids;
mod internal;

use gridlink_ids::{SlugKind, is_slug};
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

/// A live grid by slug that `caller` may see: private grids are invisible to
/// everyone but their owner.
async fn visible_grid(
    state: &AppState,
    slug: &str,
    caller: Option<&str>,
) -> Result<Grid, ApiError> {
    if !is_slug(SlugKind::Grid, slug) {
        return Err(grid_not_found());
    }
    let mut conn = state.pool.get().await?;
    let grid = db::grids::find_live(&mut conn, slug)
        .await?
        .ok_or_else(grid_not_found)?;
    if grid.visibility == "private" && caller != Some(grid.owner.as_str()) {
        return Err(grid_not_found());
    }
    Ok(grid)
}

/// A live grid that `caller` owns; a visible grid of someone else is a 403.
async fn owned_grid(state: &AppState, slug: &str, caller: &str) -> Result<Grid, ApiError> {
    let grid = visible_grid(state, slug, Some(caller)).await?;
    if grid.owner != caller {
        return Err(ApiError::Forbidden(
            "only the grid's owner may change it".into(),
        ));
    }
    Ok(grid)
}

fn grid_not_found() -> ApiError {
    ApiError::NotFound("no such grid".into())
}
