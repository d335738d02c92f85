use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_events::erasure::{lock_as_writer, lock_for_erasure};
use gridlink_events::{GridDeleted, UserDeleted, UserErased, idempotency};
use gridlink_problem::ApiError;

use super::Conn;
use super::schema::grids;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = grids)]
pub struct Grid {
    pub id: i64,
    pub slug: String,
    pub owner: String,
    pub title: String,
    pub description: String,
    pub visibility: String,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = grids)]
pub struct NewGrid<'a> {
    pub slug: &'a str,
    pub owner: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub visibility: &'a str,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = grids)]
pub struct GridChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
}

impl GridChanges {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.visibility.is_none()
    }
}

/// Which grids of an owner a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The owner's own view: every visibility.
    All,
    /// Everyone else's: public grids only.
    Public,
}

fn account_gone() -> ApiError {
    ApiError::Unauthorized("the account no longer exists".into())
}

/// Call first inside a write's transaction: takes the user's writer lock and
/// refuses the write once their data was erased (see gridlink_events::erasure).
async fn ensure_writable(conn: &mut Conn, user: &str) -> Result<(), ApiError> {
    if lock_as_writer(conn, user).await? {
        return Err(account_gone());
    }
    Ok(())
}

pub async fn insert(conn: &mut Conn, grid: NewGrid<'_>) -> Result<Grid, ApiError> {
    conn.transaction(async move |conn| {
        ensure_writable(conn, grid.owner).await?;
        Ok(diesel::insert_into(grids::table)
            .values(grid)
            .returning(Grid::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

/// A live grid by slug (one indexed lookup).
pub async fn find_live(conn: &mut Conn, slug: &str) -> QueryResult<Option<Grid>> {
    grids::table
        .filter(grids::slug.eq(slug))
        .filter(grids::is_deleted.eq(false))
        .select(Grid::as_select())
        .first(conn)
        .await
        .optional()
}

/// A page of an owner's live grids, newest first, after the grid `after`.
pub async fn page(
    conn: &mut Conn,
    owner: &str,
    listing: Listing,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Grid>> {
    let mut query = grids::table
        .filter(grids::owner.eq(owner))
        .filter(grids::is_deleted.eq(false))
        .select(Grid::as_select())
        .order(grids::id.desc())
        .limit(limit)
        .into_boxed();
    if listing == Listing::Public {
        query = query.filter(grids::visibility.eq("public"));
    }
    if let Some(after) = after {
        query = query.filter(grids::id.lt(after));
    }
    query.load(conn).await
}

pub async fn update(conn: &mut Conn, grid: &Grid, changes: GridChanges) -> Result<Grid, ApiError> {
    let (id, owner) = (grid.id, grid.owner.clone());
    conn.transaction(async move |conn| {
        ensure_writable(conn, &owner).await?;
        if changes.is_empty() {
            return Ok(grids::table
                .find(id)
                .select(Grid::as_select())
                .first(conn)
                .await?);
        }
        Ok(diesel::update(grids::table.find(id))
            .set((&changes, grids::modified_on.eq(diesel::dsl::now)))
            .returning(Grid::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

/// Soft-deletes the grid and writes `grid.deleted` to the outbox in the same
/// transaction.
pub async fn soft_delete(conn: &mut Conn, grid: &Grid) -> Result<(), ApiError> {
    let (id, owner) = (grid.id, grid.owner.clone());
    let event = GridDeleted::new(grid.slug.clone(), grid.owner.clone());
    conn.transaction(async move |conn| {
        ensure_writable(conn, &owner).await?;
        diesel::update(grids::table.find(id))
            .set((
                grids::is_deleted.eq(true),
                grids::deleted_on.eq(diesel::dsl::now),
                grids::modified_on.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(gridlink_events::outbox::enqueue(conn, &event).await?)
    })
    .await
}

/// Erases every grid of a deleted user and confirms it through the outbox, in
/// one transaction; a redelivered event does nothing. Returns whether this
/// delivery did the work.
pub async fn erase_user(conn: &mut Conn, event: &UserDeleted) -> QueryResult<bool> {
    let event = event.clone();
    conn.transaction(async move |conn| {
        if !idempotency::first_delivery(conn, event.event_id).await? {
            return Ok(false);
        }
        lock_for_erasure(conn, &event.user_id).await?;
        diesel::delete(grids::table.filter(grids::owner.eq(&event.user_id)))
            .execute(conn)
            .await?;
        gridlink_events::outbox::enqueue(conn, &UserErased::new(event.user_id.clone(), "grids"))
            .await?;
        Ok(true)
    })
    .await
}
