//! HTTP handlers: thin adapters between the API, the grids client and the
//! queries.

mod internal;
mod links;

use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service::dependency_failed;
use grids_client::{GridRef, ScopedGrids};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::LinkState;
use crate::db::{self, links::Link, links::LinkWriteError};
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

impl From<LinkWriteError> for ApiError {
    fn from(error: LinkWriteError) -> Self {
        match error {
            LinkWriteError::Write(e) => e.into(),
            LinkWriteError::GridFull => ApiError::conflict("grid", error.to_string()),
            LinkWriteError::Gone => link_not_found(),
            LinkWriteError::WindowReversed => ApiError::invalid_field("ends_at", error.to_string()),
            // Well formed, but not the grid's links as they are now.
            LinkWriteError::NotEveryLink => ApiError::conflict("links", error.to_string()),
            LinkWriteError::Busy => ApiError::Busy {
                detail: error.to_string(),
                retry_after_secs: 1,
            },
        }
    }
}

/// The cursor scope of a grid's links as visitors see them: its listing and
/// the profile's batch share it, so the batch's cursor continues the listing.
fn public_listing(grid: &GridSlug) -> String {
    format!("public:{grid}")
}

fn grid_not_found() -> ApiError {
    ApiError::NotFound("no such grid".into())
}

fn link_not_found() -> ApiError {
    ApiError::NotFound("no such link".into())
}

/// A link slug from a path; anything else names no link.
fn link_slug(raw: &str) -> Result<LinkSlug, ApiError> {
    LinkSlug::parse(raw).map_err(|_| link_not_found())
}

/// A live grid `viewer` may see, asked of the grids service: `None` when
/// there is none (a 404 of whatever asked), an error when grids failed.
async fn visible_grid(
    grids: &ScopedGrids<'_>,
    slug: &GridSlug,
    viewer: Option<&UserId>,
) -> Result<Option<GridRef>, ApiError> {
    let grid = grids.grid_ref(slug).await.map_err(dependency_failed)?;
    Ok(grid.filter(|grid| grid.visible_to(viewer)))
}

/// A live grid that `caller` owns; someone else's visible grid is a 403.
async fn owned_grid(
    grids: &ScopedGrids<'_>,
    slug: &GridSlug,
    caller: &UserId,
) -> Result<GridRef, ApiError> {
    let grid = visible_grid(grids, slug, Some(caller))
        .await?
        .ok_or_else(grid_not_found)?;
    if &grid.owner != caller {
        return Err(ApiError::Forbidden(
            "only the grid's owner may change its links".into(),
        ));
    }
    Ok(grid)
}

/// A live link, whoever may see it.
async fn live_link(state: &AppState, slug: &LinkSlug) -> Result<Link, ApiError> {
    let mut conn = state.db.conn().await?;
    db::links::find_live(&mut conn, slug)
        .await?
        .ok_or_else(link_not_found)
}

/// A live link `viewer` may see: its grid must be live and visible to them,
/// and unless it is theirs, the link must be public (enabled, in its window).
async fn visible_link(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &LinkSlug,
    viewer: Option<&UserId>,
) -> Result<Link, ApiError> {
    let link = live_link(state, slug).await?;
    if viewer != Some(&link.owner) && link.state(chrono::Utc::now()) != LinkState::Live {
        return Err(link_not_found());
    }
    visible_grid(grids, &link.grid, viewer)
        .await?
        .ok_or_else(link_not_found)?;
    Ok(link)
}

/// `caller` owns `link`, in a live grid; someone else's visible link is a
/// 403, one they may not see a 404.
async fn ensure_owned(
    grids: &ScopedGrids<'_>,
    link: &Link,
    caller: &UserId,
) -> Result<(), ApiError> {
    visible_grid(grids, &link.grid, Some(caller))
        .await?
        .ok_or_else(link_not_found)?;
    if &link.owner != caller {
        return Err(ApiError::Forbidden(
            "only the link's owner may change it".into(),
        ));
    }
    Ok(())
}
