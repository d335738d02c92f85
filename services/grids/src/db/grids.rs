use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use gridlink_db::{Database, DbError, Tx};
use gridlink_events::{GridChange, GridChanged, GridDeleted};
use gridlink_ids::{GridSlug, UserId, Visibility};
use gridlink_service::{UserTx, WriteError};

use super::Conn;
use super::schema::grids;
use crate::domain::{GridInput, GridUpdate};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = grids)]
pub struct Grid {
    pub id: i64,
    pub slug: GridSlug,
    pub owner: UserId,
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(AsChangeset)]
#[diesel(table_name = grids)]
struct Changes<'a> {
    title: Option<&'a str>,
    description: Option<&'a str>,
    visibility: Option<Visibility>,
}

/// Which grids of an owner a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The owner's own view: every visibility.
    All,
    /// Everyone else's: public grids only.
    Public,
}

/// Creates a grid for `owner`.
pub async fn insert(
    database: &Database,
    owner: &UserId,
    slug: &GridSlug,
    grid: &GridInput,
) -> Result<Grid, WriteError> {
    let mut tx = UserTx::begin(database, owner).await?;
    let grid = diesel::insert_into(grids::table)
        .values((
            grids::slug.eq(slug),
            grids::owner.eq(owner),
            grids::title.eq(grid.title.as_str()),
            grids::description.eq(grid.description.as_str()),
            grids::visibility.eq(grid.visibility),
        ))
        .returning(Grid::as_returning())
        .get_result(&mut *tx)
        .await?;
    changed(&mut tx, &grid, GridChange::Created).await?;
    tx.commit().await?;
    Ok(grid)
}

/// Writes `grid.changed` to the outbox, in the transaction of the change.
async fn changed(tx: &mut UserTx, grid: &Grid, change: GridChange) -> Result<(), WriteError> {
    let event = GridChanged::new(grid.slug.clone(), grid.owner.clone(), change);
    gridlink_events::outbox::enqueue(tx, &event).await?;
    Ok(())
}

/// A live grid by slug (one indexed lookup).
pub async fn find_live(conn: &mut Conn, slug: &GridSlug) -> Result<Option<Grid>, DbError> {
    Ok(grids::table
        .filter(grids::slug.eq(slug))
        .filter(grids::is_deleted.eq(false))
        .select(Grid::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A page of an owner's live grids, newest first, after the grid `after`.
pub async fn page(
    conn: &mut Conn,
    owner: &UserId,
    listing: Listing,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Grid>, DbError> {
    let mut query = grids::table
        .filter(grids::owner.eq(owner))
        .filter(grids::is_deleted.eq(false))
        .select(Grid::as_select())
        .order(grids::id.desc())
        .limit(limit)
        .into_boxed();
    if listing == Listing::Public {
        query = query.filter(grids::visibility.eq(Visibility::Public));
    }
    if let Some(after) = after {
        query = query.filter(grids::id.lt(after));
    }
    Ok(query.load(conn).await?)
}

/// Applies `update` to the owner's grid.
pub async fn update(
    database: &Database,
    grid: &Grid,
    update: &GridUpdate,
) -> Result<Grid, WriteError> {
    let mut tx = UserTx::begin(database, &grid.owner).await?;
    let changes = Changes {
        title: update.title.as_deref(),
        description: update.description.as_deref(),
        visibility: update.visibility,
    };
    let updated =
        if changes.title.is_none() && changes.description.is_none() && changes.visibility.is_none()
        {
            grids::table
                .find(grid.id)
                .select(Grid::as_select())
                .first(&mut *tx)
                .await?
        } else {
            let updated = diesel::update(grids::table.find(grid.id))
                .set((&changes, grids::modified_on.eq(diesel::dsl::now)))
                .returning(Grid::as_returning())
                .get_result(&mut *tx)
                .await?;
            changed(&mut tx, &updated, GridChange::Updated).await?;
            updated
        };
    tx.commit().await?;
    Ok(updated)
}

/// Soft-deletes the grid and writes `grid.deleted` (for the links service)
/// and `grid.changed` (for the pages) to the outbox in the same transaction.
pub async fn soft_delete(database: &Database, grid: &Grid) -> Result<(), WriteError> {
    let mut tx = UserTx::begin(database, &grid.owner).await?;
    diesel::update(grids::table.find(grid.id))
        .set((
            grids::is_deleted.eq(true),
            grids::deleted_on.eq(diesel::dsl::now),
            grids::modified_on.eq(diesel::dsl::now),
        ))
        .execute(&mut *tx)
        .await?;
    let event = GridDeleted::new(grid.slug.clone(), grid.owner.clone());
    gridlink_events::outbox::enqueue(&mut tx, &event).await?;
    changed(&mut tx, grid, GridChange::Deleted).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes every grid of a user (their erasure).
pub async fn erase_owner(tx: &mut Tx, owner: &UserId) -> Result<(), DbError> {
    diesel::delete(grids::table.filter(grids::owner.eq(owner)))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
