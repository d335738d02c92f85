//! The queries of the grids' rendered heads (see `crate::heads` for what a
//! head is and when one is written).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use gridlink_db::{DbError, Tx, prepared};
use gridlink_ids::{GridSlug, UserId};

use super::Conn;

/// One grid's first public links, rendered.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Head {
    #[diesel(sql_type = Text)]
    pub grid: GridSlug,
    /// Whose links they are; `None` for a grid with no public link.
    #[diesel(sql_type = Nullable<Text>)]
    pub owner: Option<UserId>,
    /// The JSON array of the links.
    #[diesel(sql_type = Text)]
    pub items: String,
    #[diesel(sql_type = Nullable<Bool>)]
    pub after_pinned: Option<bool>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub after_position: Option<i32>,
    /// When the links shown next change by themselves.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub changes_at: Option<DateTime<Utc>>,
}

impl Head {
    /// Where the grid's further public links start: `None` when these are all.
    pub fn after(&self) -> Option<(bool, i32)> {
        self.after_pinned.zip(self.after_position)
    }
}

/// The heads of `grids` rendered in `format` that still hold (one indexed
/// statement); the others are missing from the answer.
pub async fn current(
    conn: &mut Conn,
    grids: &[GridSlug],
    format: i32,
) -> Result<Vec<Head>, DbError> {
    Ok(prepared(
        "SELECT grid, owner, items, after_pinned, after_position, changes_at \
         FROM public_heads \
         WHERE grid = ANY($1) AND format = $2 AND (changes_at IS NULL OR changes_at > now())",
        |q| q.bind::<Array<Text>, _>(grids).bind::<Integer, _>(format),
    )
    .load(conn)
    .await?)
}

/// Writes `heads`, rendered in `format`, over what was there (one
/// statement). The caller holds each grid's lock.
pub async fn store(conn: &mut Conn, heads: &[&Head], format: i32) -> Result<(), DbError> {
    if heads.is_empty() {
        return Ok(());
    }
    let grids: Vec<&str> = heads.iter().map(|h| h.grid.as_str()).collect();
    let owners: Vec<Option<&str>> = heads
        .iter()
        .map(|h| h.owner.as_ref().map(UserId::as_str))
        .collect();
    let items: Vec<&str> = heads.iter().map(|h| h.items.as_str()).collect();
    let after_pinned: Vec<Option<bool>> = heads.iter().map(|h| h.after_pinned).collect();
    let after_position: Vec<Option<i32>> = heads.iter().map(|h| h.after_position).collect();
    let changes_at: Vec<Option<DateTime<Utc>>> = heads.iter().map(|h| h.changes_at).collect();
    prepared(
        "INSERT INTO public_heads \
             (grid, owner, format, items, after_pinned, after_position, changes_at) \
         SELECT grid, owner, $1, items, after_pinned, after_position, changes_at \
         FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::integer[], \
                     $7::timestamptz[]) \
              AS h(grid, owner, items, after_pinned, after_position, changes_at) \
         ON CONFLICT (grid) DO UPDATE \
         SET owner = excluded.owner, format = excluded.format, items = excluded.items, \
             after_pinned = excluded.after_pinned, after_position = excluded.after_position, \
             changes_at = excluded.changes_at",
        |q| {
            q.bind::<Integer, _>(format)
                .bind::<Array<Text>, _>(grids)
                .bind::<Array<Nullable<Text>>, _>(owners)
                .bind::<Array<Text>, _>(items)
                .bind::<Array<Nullable<Bool>>, _>(after_pinned)
                .bind::<Array<Nullable<Integer>>, _>(after_position)
                .bind::<Array<Nullable<Timestamptz>>, _>(changes_at)
        },
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A deleted grid's head goes (the caller holds the grid's lock).
pub async fn drop_grid(tx: &mut Tx, grid: &GridSlug) -> Result<(), DbError> {
    prepared("DELETE FROM public_heads WHERE grid = $1", |q| {
        q.bind::<Text, _>(grid)
    })
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every head showing a deleted user's links goes with the links.
pub async fn erase_owner(tx: &mut Tx, owner: &UserId) -> Result<(), DbError> {
    prepared("DELETE FROM public_heads WHERE owner = $1", |q| {
        q.bind::<Text, _>(owner)
    })
    .execute(&mut **tx)
    .await?;
    Ok(())
}
