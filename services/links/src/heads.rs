//! Each grid's first public links as the visitors' pages show them, rendered
//! once and kept in `public_heads`: a page (the gateway's batch) reads one
//! row per grid instead of reading, sorting and encoding up to 51 links of
//! each. Pages are read far more often than links change.
//!
//! A head is written only under its grid's lock, the one every writer of the
//! grid's links holds, so a head never shows what a committed write replaced:
//! - a write to a grid's links renders the grid's head again in the write's
//!   own transaction ([`refresh`]), so a page is ready before anyone asks;
//! - a reader that finds a head missing (links that came in another way, a
//!   grid that never had a link), rendered in another [`FORMAT`], or past its
//!   `changes_at` (a link's window opened or closed), renders it and keeps
//!   it, if it can take the grid's lock at once and the owner was not erased
//!   ([`read`]); otherwise it only serves what it rendered.
//!
//! A deleted grid's head goes with its links, a deleted user's heads with
//! theirs.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use gridlink_db::{Database, DbError};
use gridlink_ids::GridSlug;
use links_client::{LINKS_PER_GRID, PublicLink};

use crate::db::{self, Conn, heads::Head, links::Link, links::NextChange};

/// The version of the rendering. Change it with anything that changes a
/// [`PublicLink`]'s JSON: every head rendered before is rendered again when
/// next read.
pub const FORMAT: i32 = 1;

/// The heads of `grids` (each once), rendered now where none holds.
pub async fn read(database: &Database, grids: &[GridSlug]) -> Result<Vec<Head>, DbError> {
    let mut heads = {
        let mut conn = database.conn().await?;
        db::heads::current(&mut conn, grids, FORMAT).await?
    };
    let found: HashSet<&GridSlug> = heads.iter().map(|head| &head.grid).collect();
    let missing: Vec<GridSlug> = grids
        .iter()
        .filter(|grid| !found.contains(grid))
        .collect::<HashSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    if !missing.is_empty() {
        heads.extend(rebuild(database, &missing).await?);
    }
    Ok(heads)
}

/// Renders the heads of `grids` and keeps those whose grid lock it takes at
/// once and whose owner is not erased (taking the owner's writer lock, as
/// writes do, so an erasure either waits for this or is seen by it).
async fn rebuild(database: &Database, grids: &[GridSlug]) -> Result<Vec<Head>, DbError> {
    let mut tx = database.begin().await?;
    let locked: HashSet<GridSlug> = db::links::try_lock_grids(&mut tx, grids)
        .await?
        .into_iter()
        .collect();
    let heads = render_from(&tx, grids).await?;
    let mut keep: Vec<&Head> = heads
        .iter()
        .filter(|head| locked.contains(&head.grid))
        .collect();
    let owners: BTreeSet<_> = keep.iter().filter_map(|head| head.owner.clone()).collect();
    for owner in owners {
        if gridlink_events::erasure::lock_as_writer(&mut tx, &owner).await? {
            keep.retain(|head| head.owner.as_ref() != Some(&owner));
        }
    }
    db::heads::store(&mut tx, &keep, FORMAT).await?;
    tx.commit().await?;
    Ok(heads)
}

/// Renders `grid`'s head again and keeps it: for a write to the grid's
/// links, in its transaction (which holds the grid's lock), before it commits.
pub async fn refresh(tx: &mut Conn, grid: &GridSlug) -> Result<(), DbError> {
    let heads = render_from(tx, std::slice::from_ref(grid)).await?;
    db::heads::store(tx, &heads.iter().collect::<Vec<_>>(), FORMAT).await
}

/// The heads of `grids` as their links are now: two statements, sent at
/// once on one connection.
async fn render_from(conn: &Conn, grids: &[GridSlug]) -> Result<Vec<Head>, DbError> {
    let (links, changes) = tokio::try_join!(
        db::links::public_heads(conn, grids, LINKS_PER_GRID),
        db::links::next_changes(conn, grids),
    )?;
    Ok(render(grids, links, changes))
}

/// A head for each of `grids` from their public links (each grid's in page
/// order, at most one more than a head holds) and their next changes.
fn render(grids: &[GridSlug], links: Vec<Link>, changes: Vec<NextChange>) -> Vec<Head> {
    let limit = usize::try_from(LINKS_PER_GRID).expect("a small positive number");
    let mut by_grid: HashMap<&GridSlug, Vec<Link>> =
        grids.iter().map(|grid| (grid, Vec::new())).collect();
    for link in links {
        if let Some(of_grid) = by_grid.get_mut(&link.grid) {
            of_grid.push(link);
        }
    }
    let changes: HashMap<GridSlug, DateTime<Utc>> = changes
        .into_iter()
        .map(|change| (change.grid, change.at))
        .collect();
    by_grid
        .into_iter()
        .map(|(grid, links)| head(grid.clone(), links, limit, changes.get(grid).copied()))
        .collect()
}

fn head(grid: GridSlug, links: Vec<Link>, limit: usize, changes_at: Option<DateTime<Utc>>) -> Head {
    let owner = links.first().map(|link| link.owner.clone());
    let (links, after) = gridlink_service::first_rows(links, limit, |link| {
        (link.pinned, link.position.unwrap_or_default())
    });
    let items: Vec<PublicLink> = links.into_iter().map(PublicLink::from).collect();
    Head {
        grid,
        owner,
        items: serde_json::to_string(&items).expect("links serialise"),
        after_pinned: after.map(|(pinned, _)| pinned),
        after_position: after.map(|(_, position)| position),
        changes_at,
    }
}

/// The batch's answer, `{"grids": {slug: GridLinks}}`, with each head's
/// links written as they were rendered; `cursor` seals where a grid's
/// further links start.
pub fn batch_json(heads: &[Head], cursor: impl Fn(&GridSlug, (bool, i32)) -> String) -> Vec<u8> {
    let size = heads
        .iter()
        .map(|head| head.items.len() + 256)
        .sum::<usize>();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(b"{\"grids\":{");
    for (i, head) in heads.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let next_cursor = head.after().map(|after| cursor(&head.grid, after));
        serde_json::to_writer(&mut out, &head.grid).expect("writing to memory");
        out.extend_from_slice(b":{\"items\":");
        out.extend_from_slice(head.items.as_bytes());
        out.extend_from_slice(b",\"next_cursor\":");
        serde_json::to_writer(&mut out, &next_cursor).expect("writing to memory");
        out.extend_from_slice(b",\"changes_at\":");
        serde_json::to_writer(&mut out, &head.changes_at).expect("writing to memory");
        out.push(b'}');
    }
    out.extend_from_slice(b"}}");
    out
}
