//! The queries of the links service's copy of grid owners and visibility
//! (see `crate::grid_copies` for when a copy is believed).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use diesel_async::RunQueryDsl;
use gridlink_db::{DbError, Tx, prepared};
use gridlink_ids::{GridSlug, UserId, Visibility};
use grids_client::GridRef;

use super::Conn;
use super::schema::grid_copies;

/// One grid's row: empty (owner and visibility `None`) once a change has set
/// it aside.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = grid_copies)]
pub struct GridCopy {
    pub slug: GridSlug,
    pub owner: Option<UserId>,
    pub visibility: Option<Visibility>,
    pub filled_at: Option<DateTime<Utc>>,
}

impl GridCopy {
    /// What the copy says, filled at: `None` when it was set aside.
    pub fn grid(&self) -> Option<(GridRef, DateTime<Utc>)> {
        match (&self.owner, self.visibility, self.filled_at) {
            (Some(owner), Some(visibility), Some(filled_at)) => Some((
                GridRef {
                    slug: self.slug.clone(),
                    owner: owner.clone(),
                    visibility,
                },
                filled_at,
            )),
            _ => None,
        }
    }
}

pub async fn find(conn: &mut Conn, slug: &GridSlug) -> Result<Option<GridCopy>, DbError> {
    Ok(grid_copies::table
        .find(slug)
        .select(GridCopy::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Records what the grids service answered to a question asked at
/// `asked_at`, unless a change was announced after that (one statement).
pub async fn fill(conn: &mut Conn, grid: &GridRef, asked_at: DateTime<Utc>) -> Result<(), DbError> {
    prepared(
        "INSERT INTO grid_copies (slug, owner, visibility, filled_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (slug) DO UPDATE \
         SET owner = excluded.owner, visibility = excluded.visibility, filled_at = excluded.filled_at \
         WHERE grid_copies.invalidated_at < excluded.filled_at",
        |q| {
            q.bind::<Text, _>(&grid.slug)
                .bind::<Text, _>(&grid.owner)
                .bind::<Text, _>(grid.visibility)
                .bind::<Timestamptz, _>(asked_at)
        },
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a grid's copy aside as of `at`, when its change was consumed.
pub async fn invalidate(tx: &mut Tx, slug: &GridSlug, at: DateTime<Utc>) -> Result<(), DbError> {
    prepared(
        "INSERT INTO grid_copies (slug, invalidated_at) VALUES ($1, $2) \
         ON CONFLICT (slug) DO UPDATE \
         SET owner = NULL, visibility = NULL, filled_at = NULL, \
             invalidated_at = GREATEST(grid_copies.invalidated_at, excluded.invalidated_at)",
        |q| q.bind::<Text, _>(slug).bind::<Timestamptz, _>(at),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every copy of a deleted user's grids goes with the rest of their data.
pub async fn erase_owner(tx: &mut Tx, owner: &UserId) -> Result<(), DbError> {
    diesel::delete(grid_copies::table.filter(grid_copies::owner.eq(owner)))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
