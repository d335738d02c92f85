//! HTTP handlers: thin adapters between the API, the grids client (or the
//! service's copy of what it says) and the queries.

mod internal;
mod links;

use chrono::Utc;
use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service::dependency_failed;
use grids_client::{GridRef, ScopedGrids};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::LinkState;
use crate::db::{self, grid_copies::GridCopy, links::Link, links::LinkWriteError};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(links::create_link)
        .service(links::list_links)
        .service(links::reorder_links)
        .service(links::get_link)
        .service(links::update_link)
        .service(links::delete_link)
        .service(internal::links_of_grids)
        .service(internal::link_target);
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
/// Writes ask here: whether a grid still exists is the grids service's word.
async fn asked_grid(
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
    let grid = asked_grid(grids, slug, Some(caller))
        .await?
        .ok_or_else(grid_not_found)?;
    if &grid.owner != caller {
        return Err(ApiError::Forbidden(
            "only the grid's owner may change its links".into(),
        ));
    }
    Ok(grid)
}

/// A live grid `viewer` may see, for a read: from the service's copy when it
/// may be believed, else asked of the grids service (without the copy's
/// feed, without looking at the copy).
async fn visible_grid(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &GridSlug,
    viewer: Option<&UserId>,
) -> Result<Option<GridRef>, ApiError> {
    if !state.copies.fed() {
        return asked_grid(grids, slug, viewer).await;
    }
    let copy = {
        let mut conn = state.db.conn().await?;
        db::grid_copies::find(&mut conn, slug).await?
    };
    let grid = known_grid(state, grids, slug, copy).await?;
    Ok(grid.filter(|grid| grid.visible_to(viewer)))
}

/// The live grid `copy` says, or, when it may not be believed, the grids
/// service's answer (written into the copy for the next read; a failure to
/// write it only costs that).
async fn known_grid(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &GridSlug,
    copy: Option<GridCopy>,
) -> Result<Option<GridRef>, ApiError> {
    let asked_at = Utc::now();
    if let Some(grid) = state.copies.believe(copy.as_ref(), asked_at) {
        return Ok(Some(grid));
    }
    let grid = grids.grid_ref(slug).await.map_err(dependency_failed)?;
    if let Some(answer) = &grid
        && state.copies.needs_fill(copy.as_ref(), answer, asked_at)
    {
        let filled = match state.db.conn().await {
            Ok(mut conn) => db::grid_copies::fill(&mut conn, answer, asked_at).await,
            Err(e) => Err(e),
        };
        if let Err(error) = filled {
            tracing::warn!(%error, grid = %slug, "the grid's copy was not filled in");
        }
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
/// With a believable copy of its grid, one statement.
async fn visible_link(
    state: &AppState,
    grids: &ScopedGrids<'_>,
    slug: &LinkSlug,
    viewer: Option<&UserId>,
) -> Result<Link, ApiError> {
    let (link, copy) = {
        let mut conn = state.db.conn().await?;
        db::links::find_live_with_grid(&mut conn, slug)
            .await?
            .ok_or_else(link_not_found)?
    };
    if viewer != Some(&link.owner) && link.state(Utc::now()) != LinkState::Live {
        return Err(link_not_found());
    }
    known_grid(state, grids, &link.grid, copy)
        .await?
        .filter(|grid| grid.visible_to(viewer))
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
    asked_grid(grids, &link.grid, Some(caller))
        .await?
        .ok_or_else(link_not_found)?;
    if &link.owner != caller {
        return Err(ApiError::Forbidden(
            "only the link's owner may change it".into(),
        ));
    }
    Ok(())
}
