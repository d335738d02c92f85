use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Float4, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_events::erasure::{lock_as_writer, lock_for_erasure};
use gridlink_events::{GridDeleted, UserDeleted, UserErased, idempotency};
use gridlink_problem::{ApiError, FieldError};

use super::Conn;
use super::schema::links;

/// Most live links one grid may hold.
pub const MAX_LINKS_PER_GRID: i64 = 500;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = links)]
pub struct Link {
    pub id: i64,
    pub slug: String,
    pub grid: String,
    pub owner: String,
    pub title: String,
    pub url: String,
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    pub position: Option<i32>,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Debug, QueryableByName)]
pub struct SearchHit {
    #[diesel(embed)]
    pub link: Link,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
}

#[derive(Insertable)]
#[diesel(table_name = links)]
pub struct NewLink<'a> {
    pub slug: &'a str,
    pub grid: &'a str,
    pub owner: &'a str,
    pub title: &'a str,
    pub url: &'a str,
    pub background: Option<&'a str>,
    pub width: i16,
    pub height: i16,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = links)]
pub struct LinkChanges {
    pub title: Option<String>,
    pub url: Option<String>,
    /// `Some(None)` clears the background.
    pub background: Option<Option<String>>,
    pub width: Option<i16>,
    pub height: Option<i16>,
}

/// Call first inside a write's transaction: takes the user's writer lock and
/// refuses the write once their data was erased (see gridlink_events::erasure).
async fn ensure_writable(conn: &mut Conn, user: &str) -> Result<(), ApiError> {
    if lock_as_writer(conn, user).await? {
        return Err(ApiError::Unauthorized(
            "the account no longer exists".into(),
        ));
    }
    Ok(())
}

/// Serialises every write to one grid's positions. Writers of other grids
/// never wait; the deferred unique constraint on (grid, position) is the net.
async fn lock_grid(conn: &mut Conn, grid: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(grid)
        .execute(conn)
        .await
        .map(|_| ())
}

async fn live_count(conn: &mut Conn, grid: &str) -> QueryResult<i64> {
    links::table
        .filter(links::grid.eq(grid))
        .filter(links::is_deleted.eq(false))
        .count()
        .get_result(conn)
        .await
}

/// The link's position as of now (callers hold the grid lock); 404 when the
/// link was deleted meanwhile.
async fn live_position(conn: &mut Conn, id: i64) -> Result<i32, ApiError> {
    let position: Option<Option<i32>> = links::table
        .find(id)
        .filter(links::is_deleted.eq(false))
        .select(links::position)
        .first(conn)
        .await
        .optional()?;
    position.flatten().ok_or_else(ApiError::not_found)
}

/// A live link by slug (one indexed lookup).
pub async fn find_live(conn: &mut Conn, slug: &str) -> QueryResult<Option<Link>> {
    links::table
        .filter(links::slug.eq(slug))
        .filter(links::is_deleted.eq(false))
        .select(Link::as_select())
        .first(conn)
        .await
        .optional()
}

/// A page of a grid's live links in position order, after position `after`.
pub async fn page(
    conn: &mut Conn,
    grid: &str,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<Link>> {
    let mut query = links::table
        .filter(links::grid.eq(grid))
        .filter(links::is_deleted.eq(false))
        .select(Link::as_select())
        .order(links::position.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(links::position.gt(after));
    }
    query.load(conn).await
}

/// The live links of many grids, ordered by grid and position: one statement.
pub async fn of_grids(conn: &mut Conn, grids: &[String]) -> QueryResult<Vec<Link>> {
    links::table
        .filter(links::grid.eq_any(grids))
        .filter(links::is_deleted.eq(false))
        .select(Link::as_select())
        .order((links::grid.asc(), links::position.asc()))
        .load(conn)
        .await
}

/// The owner's live links matching `query` (web-search syntax), best first;
/// `after` is the (rank, id) of the last hit of the previous page.
pub async fn search(
    conn: &mut Conn,
    owner: &str,
    query: &str,
    after: Option<(f32, i64)>,
    limit: i64,
) -> QueryResult<Vec<SearchHit>> {
    diesel::sql_query(
        "SELECT id, slug, grid, owner, title, url, background, width, height, position, \
                created_on, modified_on, rank \
         FROM (SELECT l.*, ts_rank(l.search, q) AS rank \
               FROM links l, websearch_to_tsquery('simple', $2) q \
               WHERE l.owner = $1 AND NOT l.is_deleted AND l.search @@ q) hits \
         WHERE $3::real IS NULL OR rank < $3 OR (rank = $3 AND id > $4) \
         ORDER BY rank DESC, id ASC \
         LIMIT $5",
    )
    .bind::<Text, _>(owner)
    .bind::<Text, _>(query)
    .bind::<Nullable<Float4>, _>(after.map(|(rank, _)| rank))
    .bind::<BigInt, _>(after.map_or(0, |(_, id)| id))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

fn grid_full() -> ApiError {
    ApiError::conflict(
        "grid",
        format!("a grid holds at most {MAX_LINKS_PER_GRID} links"),
    )
}

/// Inserts a link at `position` (clamped to the end), or last, shifting the
/// links after it.
pub async fn insert(
    conn: &mut Conn,
    link: NewLink<'_>,
    position: Option<i32>,
) -> Result<Link, ApiError> {
    conn.transaction(async move |conn| {
        ensure_writable(conn, link.owner).await?;
        lock_grid(conn, link.grid).await?;
        let count = live_count(conn, link.grid).await?;
        if count >= MAX_LINKS_PER_GRID {
            return Err(grid_full());
        }
        let count = count as i32;
        let at = position.map_or(count, |p| p.min(count));
        if at < count {
            diesel::update(
                links::table
                    .filter(links::grid.eq(link.grid))
                    .filter(links::is_deleted.eq(false))
                    .filter(links::position.ge(at)),
            )
            .set(links::position.eq(links::position + 1))
            .execute(conn)
            .await?;
        }
        Ok(diesel::insert_into(links::table)
            .values((&link, links::position.eq(at)))
            .returning(Link::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

/// Applies `changes` and, when `move_to` is given, moves the link there
/// (clamped to the last place), shifting the links in between.
pub async fn update(
    conn: &mut Conn,
    link: &Link,
    changes: LinkChanges,
    move_to: Option<i32>,
) -> Result<Link, ApiError> {
    let (id, grid, owner) = (link.id, link.grid.clone(), link.owner.clone());
    conn.transaction(async move |conn| {
        ensure_writable(conn, &owner).await?;
        lock_grid(conn, &grid).await?;
        let current = live_position(conn, id).await?;
        let mut target = current;
        if let Some(to) = move_to {
            let last = live_count(conn, &grid).await? as i32 - 1;
            target = to.min(last);
            let siblings = links::table
                .filter(links::grid.eq(&grid))
                .filter(links::is_deleted.eq(false));
            if target < current {
                diesel::update(
                    siblings
                        .filter(links::position.ge(target))
                        .filter(links::position.lt(current)),
                )
                .set(links::position.eq(links::position + 1))
                .execute(conn)
                .await?;
            } else if target > current {
                diesel::update(
                    siblings
                        .filter(links::position.gt(current))
                        .filter(links::position.le(target)),
                )
                .set(links::position.eq(links::position - 1))
                .execute(conn)
                .await?;
            }
        }
        Ok(diesel::update(links::table.find(id))
            .set((
                &changes,
                links::position.eq(target),
                links::modified_on.eq(diesel::dsl::now),
            ))
            .returning(Link::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

/// Soft-deletes the link and closes the gap it leaves.
pub async fn soft_delete(conn: &mut Conn, link: &Link) -> Result<(), ApiError> {
    let (id, grid, owner) = (link.id, link.grid.clone(), link.owner.clone());
    conn.transaction(async move |conn| {
        ensure_writable(conn, &owner).await?;
        lock_grid(conn, &grid).await?;
        let was_at = live_position(conn, id).await?;
        diesel::update(links::table.find(id))
            .set((
                links::is_deleted.eq(true),
                links::deleted_on.eq(diesel::dsl::now),
                links::position.eq(None::<i32>),
            ))
            .execute(conn)
            .await?;
        diesel::update(
            links::table
                .filter(links::grid.eq(&grid))
                .filter(links::is_deleted.eq(false))
                .filter(links::position.gt(was_at)),
        )
        .set(links::position.eq(links::position - 1))
        .execute(conn)
        .await?;
        Ok(())
    })
    .await
}

/// Puts the grid's live links in exactly the given order, in one transaction.
/// `order` must name every live link of the grid once.
pub async fn reorder(
    conn: &mut Conn,
    owner: &str,
    grid: &str,
    order: &[String],
) -> Result<(), ApiError> {
    let (owner, grid, order) = (owner.to_owned(), grid.to_owned(), order.to_vec());
    conn.transaction(async move |conn| {
        ensure_writable(conn, &owner).await?;
        lock_grid(conn, &grid).await?;
        let mut live: Vec<String> = links::table
            .filter(links::grid.eq(&grid))
            .filter(links::is_deleted.eq(false))
            .select(links::slug)
            .load(conn)
            .await?;
        let mut wanted = order.clone();
        live.sort();
        wanted.sort();
        if live != wanted {
            return Err(ApiError::invalid_fields(vec![FieldError::new(
                "links",
                "must list every link of the grid exactly once",
            )]));
        }
        diesel::sql_query(
            "UPDATE links SET position = wanted.position, modified_on = now() \
             FROM (SELECT slug, (ordinality - 1)::int AS position \
                   FROM unnest($2::text[]) WITH ORDINALITY AS t(slug, ordinality)) wanted \
             WHERE links.slug = wanted.slug AND links.grid = $1 AND NOT links.is_deleted \
               AND links.position IS DISTINCT FROM wanted.position",
        )
        .bind::<Text, _>(&grid)
        .bind::<Array<Text>, _>(&order)
        .execute(conn)
        .await?;
        Ok(())
    })
    .await
}

/// Erases every link of a deleted user (found by the owner each link keeps)
/// and confirms it through the outbox, in one transaction; a redelivered
/// event does nothing. Returns whether this delivery did the work.
pub async fn erase_user(conn: &mut Conn, event: &UserDeleted) -> QueryResult<bool> {
    let event = event.clone();
    conn.transaction(async move |conn| {
        if !idempotency::first_delivery(conn, event.event_id).await? {
            return Ok(false);
        }
        lock_for_erasure(conn, &event.user_id).await?;
        diesel::delete(links::table.filter(links::owner.eq(&event.user_id)))
            .execute(conn)
            .await?;
        gridlink_events::outbox::enqueue(conn, &UserErased::new(event.user_id.clone(), "links"))
            .await?;
        Ok(true)
    })
    .await
}

/// Retires the live links of a deleted grid; a redelivered event does nothing.
pub async fn retire_grid(conn: &mut Conn, event: &GridDeleted) -> QueryResult<usize> {
    let event = event.clone();
    conn.transaction(async move |conn| {
        if !idempotency::first_delivery(conn, event.event_id).await? {
            return Ok(0);
        }
        lock_grid(conn, &event.grid).await?;
        diesel::update(
            links::table
                .filter(links::grid.eq(&event.grid))
                .filter(links::is_deleted.eq(false)),
        )
        .set((
            links::is_deleted.eq(true),
            links::deleted_on.eq(diesel::dsl::now),
            links::position.eq(None::<i32>),
        ))
        .execute(conn)
        .await
    })
    .await
}
