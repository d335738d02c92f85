use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_events::GridDeleted;

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

pub async fn insert(conn: &mut Conn, grid: NewGrid<'_>) -> QueryResult<Grid> {
    diesel::insert_into(grids::table)
        .values(grid)
        .returning(Grid::as_returning())
        .get_result(conn)
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

pub async fn update(conn: &mut Conn, id: i64, changes: GridChanges) -> QueryResult<Grid> {
    if changes.is_empty() {
        return grids::table
            .find(id)
            .select(Grid::as_select())
            .first(conn)
            .await;
    }
    diesel::update(grids::table.find(id))
        .set((&changes, grids::modified_on.eq(diesel::dsl::now)))
        .returning(Grid::as_returning())
        .get_result(conn)
        .await
}

/// Soft-deletes the grid and writes `grid.deleted` to the outbox in the same
/// transaction.
pub async fn soft_delete(conn: &mut Conn, grid: &Grid) -> QueryResult<()> {
    let (id, event) = (
        grid.id,
        GridDeleted::new(grid.slug.clone(), grid.owner.clone()),
    );
    conn.transaction(async move |conn| {
        diesel::update(grids::table.find(id))
            .set((
                grids::is_deleted.eq(true),
                grids::deleted_on.eq(diesel::dsl::now),
                grids::modified_on.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        gridlink_events::outbox::enqueue(conn, &event).await
    })
    .await
}
