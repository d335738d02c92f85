use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Float4, Nullable, Text};
use diesel_async::RunQueryDsl;
use gridlink_db::{Database, DbError, Tx, prepared};
use gridlink_events::{GridDeleted, LinkDeleted, LinksChanged};
use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_service::{GateGuard, Gates, UserTx, WriteError};
use links_client::LinkState;

use super::Conn;
use super::grid_copies::GridCopy;
use super::schema::{grid_copies, links};
use crate::domain::{LinkInput, LinkUpdate};

/// Most live links one grid may hold.
pub const MAX_LINKS_PER_GRID: i64 = 500;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = links)]
pub struct Link {
    pub id: i64,
    pub slug: LinkSlug,
    pub grid: GridSlug,
    pub owner: UserId,
    pub title: String,
    pub url: String,
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    pub position: Option<i32>,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
    pub enabled: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub pinned: bool,
}

impl Link {
    /// Where it stands in its lifecycle at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        LinkState::at(now, self.enabled, self.starts_at, self.ends_at)
    }
}

/// "Live" in this module means not deleted; "public" means shown to
/// visitors: live, enabled, and now inside its window.
#[diesel::dsl::auto_type]
fn public() -> _ {
    let now: diesel::dsl::now = diesel::dsl::now;
    links::is_deleted
        .eq(false)
        .and(links::enabled.eq(true))
        .and(links::starts_at.is_null().or(links::starts_at.le(now)))
        .and(links::ends_at.is_null().or(links::ends_at.gt(now)))
}

#[derive(Debug, QueryableByName)]
pub struct SearchHit {
    #[diesel(embed)]
    pub link: Link,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
}

#[derive(AsChangeset)]
#[diesel(table_name = links)]
struct Changes<'a> {
    title: Option<&'a str>,
    url: Option<&'a str>,
    /// `Some(None)` clears the background.
    background: Option<Option<&'a str>>,
    width: Option<i16>,
    height: Option<i16>,
    enabled: Option<bool>,
    /// `Some(None)` removes the start (or end) of the window.
    starts_at: Option<Option<DateTime<Utc>>>,
    ends_at: Option<Option<DateTime<Utc>>>,
    pinned: Option<bool>,
}

/// Why a write to a grid's links was refused.
#[derive(Debug, thiserror::Error)]
pub enum LinkWriteError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("a grid holds at most {MAX_LINKS_PER_GRID} links")]
    GridFull,
    /// The link was deleted while the write waited for the grid.
    #[error("no such link")]
    Gone,
    /// The change would end the link's window before it starts.
    #[error("must be after starts_at")]
    WindowReversed,
    #[error("must list every link of the grid exactly once")]
    NotEveryLink,
    /// Other writes to the same grid held it for the whole wait.
    #[error("other changes to this grid are in progress; try again shortly")]
    Busy,
}

impl From<DbError> for LinkWriteError {
    fn from(error: DbError) -> Self {
        Self::Write(WriteError::Db(error))
    }
}

impl From<diesel::result::Error> for LinkWriteError {
    #[track_caller]
    fn from(error: diesel::result::Error) -> Self {
        match &error {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::CheckViolation,
                info,
            ) if info.constraint_name() == Some("links_window_order") => Self::WindowReversed,
            _ => Self::Write(WriteError::from(error)),
        }
    }
}

/// Where writes to links go: the database, and the gates that make writers
/// of one grid queue in the process rather than on pooled connections.
pub struct Writes {
    database: Database,
    gates: Gates,
}

impl Writes {
    /// Writers of one grid wait at most `wait` for it (in the process, then
    /// for its database lock), and at most 32 of them per grid (a client's
    /// burst of parallel writes, a bulk import); the rest are busy at once.
    pub fn new(database: Database, wait: std::time::Duration) -> Self {
        Self {
            database,
            gates: Gates::new(wait, 32),
        }
    }

    /// Waits for `writer`'s turn to change `grid`'s links. Take it before
    /// anything else is asked about the write (ownership, the grid), so a
    /// flood of one grid's writes queues here instead of loading the grids
    /// service; each writer queues at their own gate, so nobody else's
    /// requests can keep an owner out.
    pub async fn turn<'w>(
        &'w self,
        writer: &UserId,
        grid: &GridSlug,
    ) -> Result<GridTurn<'w>, LinkWriteError> {
        let until = tokio::time::Instant::now() + self.gates.wait();
        let gate = self
            .gates
            .enter(&format!("{writer}/{grid}"))
            .await
            .map_err(|_| LinkWriteError::Busy)?;
        Ok(GridTurn {
            writes: self,
            writer: writer.clone(),
            grid: grid.clone(),
            until,
            _gate: gate,
        })
    }
}

/// A writer's turn at one grid's links, until it is dropped.
pub struct GridTurn<'w> {
    writes: &'w Writes,
    writer: UserId,
    grid: GridSlug,
    until: tokio::time::Instant,
    _gate: GateGuard<'w>,
}

impl GridTurn<'_> {
    /// The writer's transaction, holding the grid's database lock: waits for
    /// it (until the turn's deadline), as another replica may hold it.
    /// Writers of other grids never wait; the deferred unique constraint on
    /// (grid, position) is the net.
    async fn begin(&self) -> Result<UserTx, LinkWriteError> {
        let mut tx = UserTx::begin(&self.writes.database, &self.writer).await?;
        loop {
            let locked = try_lock_grids(&mut tx, std::slice::from_ref(&self.grid)).await?;
            if !locked.is_empty() {
                return Ok(tx);
            }
            if tokio::time::Instant::now() >= self.until {
                return Err(LinkWriteError::Busy);
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

impl GridTurn<'_> {
    /// Renders the grid's head again, writes `links.changed` to the outbox
    /// and commits: every change to a grid's links ends this way, so the
    /// pages showing them are ready and told.
    async fn commit(&self, mut tx: UserTx) -> Result<(), LinkWriteError> {
        crate::heads::refresh(&mut tx, &self.grid).await?;
        let event = LinksChanged::new(self.grid.clone(), self.writer.clone());
        gridlink_events::outbox::enqueue(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn live_count(conn: &mut Conn, grid: &GridSlug) -> Result<i64, DbError> {
    Ok(links::table
        .filter(links::grid.eq(grid))
        .filter(links::is_deleted.eq(false))
        .count()
        .get_result(conn)
        .await?)
}

/// The link's position as of now (callers hold the grid lock).
async fn live_position(conn: &mut Conn, id: i64) -> Result<i32, LinkWriteError> {
    let position: Option<Option<i32>> = links::table
        .find(id)
        .filter(links::is_deleted.eq(false))
        .select(links::position)
        .first(conn)
        .await
        .optional()?;
    position.flatten().ok_or(LinkWriteError::Gone)
}

/// A live link by slug (one indexed lookup).
pub async fn find_live(conn: &mut Conn, slug: &LinkSlug) -> Result<Option<Link>, DbError> {
    Ok(links::table
        .filter(links::slug.eq(slug))
        .filter(links::is_deleted.eq(false))
        .select(Link::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A live link by slug, with the copy of its grid's owner and visibility
/// when there is one (one indexed lookup, joined on the copy's key).
pub async fn find_live_with_grid(
    conn: &mut Conn,
    slug: &LinkSlug,
) -> Result<Option<(Link, Option<GridCopy>)>, DbError> {
    Ok(links::table
        .left_join(grid_copies::table)
        .filter(links::slug.eq(slug))
        .filter(links::is_deleted.eq(false))
        .select((Link::as_select(), Option::<GridCopy>::as_select()))
        .first(conn)
        .await
        .optional()?)
}

/// A page of a grid's public links, pinned first and then by position,
/// after the (pinned, position) `after`: what visitors see.
pub async fn public_page(
    conn: &mut Conn,
    grid: &GridSlug,
    after: Option<(bool, i32)>,
    limit: i64,
) -> Result<Vec<Link>, DbError> {
    let mut query = links::table
        .filter(links::grid.eq(grid))
        .filter(public())
        .select(Link::as_select())
        .order((links::pinned.desc(), links::position.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((pinned, position)) = after {
        // Pinned links come first: after a pinned one come the later pinned
        // ones and every unpinned one.
        let later_in_group = links::pinned.eq(pinned).and(links::position.gt(position));
        query = if pinned {
            query.filter(later_in_group.or(links::pinned.eq(false)))
        } else {
            query.filter(later_in_group)
        };
    }
    Ok(query.load(conn).await?)
}

/// A page of a grid's live links in position order, after position `after`.
pub async fn page(
    conn: &mut Conn,
    grid: &GridSlug,
    after: Option<i32>,
    limit: i64,
) -> Result<Vec<Link>, DbError> {
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
    Ok(query.load(conn).await?)
}

/// The first `per_grid` public links of each of `grids`, and one more of
/// each that has more, ordered by grid, pinned first, then by position: one
/// statement. (Its filter is [`public`], said in SQL.) It takes a shared
/// connection so that it can be pipelined with [`next_changes`].
pub async fn public_heads(
    mut conn: &Conn,
    grids: &[GridSlug],
    per_grid: i64,
) -> Result<Vec<Link>, DbError> {
    Ok(prepared(
        "SELECT id, slug, grid, owner, title, url, background, width, height, position, \
                created_on, modified_on, enabled, starts_at, ends_at, pinned \
         FROM (SELECT l.*, row_number() OVER (PARTITION BY grid ORDER BY pinned DESC, position) AS n \
               FROM links l \
               WHERE grid = ANY($1) AND NOT is_deleted AND enabled \
                 AND (starts_at IS NULL OR starts_at <= now()) \
                 AND (ends_at IS NULL OR ends_at > now())) ranked \
         WHERE n <= $2 \
         ORDER BY grid, pinned DESC, position",
        |q| {
            q.bind::<Array<Text>, _>(grids)
                .bind::<BigInt, _>(per_grid + 1)
        },
    )
    .load(&mut conn)
    .await?)
}

#[derive(QueryableByName)]
pub struct NextChange {
    #[diesel(sql_type = Text)]
    pub grid: GridSlug,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub at: DateTime<Utc>,
}

/// For each of `grids` that has one, the next moment its public links change
/// by themselves: the nearest future start or end of an enabled link's window.
pub async fn next_changes(mut conn: &Conn, grids: &[GridSlug]) -> Result<Vec<NextChange>, DbError> {
    Ok(prepared(
        "SELECT grid, min(LEAST(CASE WHEN starts_at > now() THEN starts_at END, \
                                CASE WHEN ends_at > now() THEN ends_at END)) AS at \
         FROM links \
         WHERE grid = ANY($1) AND NOT is_deleted AND enabled \
           AND (starts_at IS NOT NULL OR ends_at IS NOT NULL) \
           AND (starts_at > now() OR ends_at > now()) \
         GROUP BY grid",
        |q| q.bind::<Array<Text>, _>(grids),
    )
    .load(&mut conn)
    .await?)
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// PostgreSQL cannot evaluate the query (too many operators for its
    /// tsquery stack): the query's fault, not the server's.
    #[error("the search has more operators than PostgreSQL can evaluate")]
    TooComplex,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The owner's live links matching `query` (web-search syntax), best first;
/// `after` is the (rank, id) of the last hit of the previous page.
pub async fn search(
    conn: &mut Conn,
    owner: &UserId,
    query: &str,
    after: Option<(f32, i64)>,
    limit: i64,
) -> Result<Vec<SearchHit>, SearchError> {
    prepared(
        "SELECT id, slug, grid, owner, title, url, background, width, height, position, \
                created_on, modified_on, enabled, starts_at, ends_at, pinned, rank \
         FROM (SELECT l.*, ts_rank(l.search, q) AS rank \
               FROM links l, websearch_to_tsquery('simple', $2) q \
               WHERE l.owner = $1 AND NOT l.is_deleted AND l.search @@ q) hits \
         WHERE $3::real IS NULL OR rank < $3 OR (rank = $3 AND id > $4) \
         ORDER BY rank DESC, id ASC \
         LIMIT $5",
        |q| {
            q.bind::<Text, _>(owner)
                .bind::<Text, _>(query)
                .bind::<Nullable<Float4>, _>(after.map(|(rank, _)| rank))
                .bind::<BigInt, _>(after.map_or(0, |(_, id)| id))
                .bind::<BigInt, _>(limit)
        },
    )
    .load(conn)
    .await
    .map_err(|e| match &e {
        diesel::result::Error::DatabaseError(_, info) if info.message().contains("tsquery") => {
            SearchError::TooComplex
        }
        _ => SearchError::Db(e.into()),
    })
}

/// Inserts a link at its position (clamped to the end), or last, shifting the
/// links after it.
pub async fn insert(
    turn: &GridTurn<'_>,
    slug: &LinkSlug,
    link: &LinkInput,
) -> Result<Link, LinkWriteError> {
    debug_assert_eq!(turn.grid, link.grid, "the turn is at the link's grid");
    let mut tx = turn.begin().await?;
    let count = live_count(&mut tx, &link.grid).await?;
    if count >= MAX_LINKS_PER_GRID {
        return Err(LinkWriteError::GridFull);
    }
    let count = count as i32;
    let at = link.position.map_or(count, |p| p.min(count));
    if at < count {
        diesel::update(
            links::table
                .filter(links::grid.eq(&link.grid))
                .filter(links::is_deleted.eq(false))
                .filter(links::position.ge(at)),
        )
        .set(links::position.eq(links::position + 1))
        .execute(&mut *tx)
        .await?;
    }
    let inserted = diesel::insert_into(links::table)
        .values((
            links::slug.eq(slug),
            links::grid.eq(&link.grid),
            links::owner.eq(&turn.writer),
            links::title.eq(link.title.as_str()),
            links::url.eq(link.url.as_str()),
            links::background.eq(link.background.as_deref()),
            links::width.eq(link.width),
            links::height.eq(link.height),
            links::position.eq(at),
            links::enabled.eq(link.enabled),
            links::starts_at.eq(link.starts_at),
            links::ends_at.eq(link.ends_at),
            links::pinned.eq(link.pinned),
        ))
        .returning(Link::as_returning())
        .get_result(&mut *tx)
        .await?;
    turn.commit(tx).await?;
    Ok(inserted)
}

/// Applies `update` and, when it moves the link, moves it (clamped to the
/// last place), shifting the links in between.
pub async fn update(
    turn: &GridTurn<'_>,
    link: &Link,
    update: &LinkUpdate,
) -> Result<Link, LinkWriteError> {
    debug_assert_eq!(turn.grid, link.grid, "the turn is at the link's grid");
    let mut tx = turn.begin().await?;
    let current = live_position(&mut tx, link.id).await?;
    let mut target = current;
    if let Some(to) = update.move_to {
        let last = live_count(&mut tx, &link.grid).await? as i32 - 1;
        target = to.min(last);
        let siblings = links::table
            .filter(links::grid.eq(&link.grid))
            .filter(links::is_deleted.eq(false));
        if target < current {
            diesel::update(
                siblings
                    .filter(links::position.ge(target))
                    .filter(links::position.lt(current)),
            )
            .set(links::position.eq(links::position + 1))
            .execute(&mut *tx)
            .await?;
        } else if target > current {
            diesel::update(
                siblings
                    .filter(links::position.gt(current))
                    .filter(links::position.le(target)),
            )
            .set(links::position.eq(links::position - 1))
            .execute(&mut *tx)
            .await?;
        }
    }
    let changes = Changes {
        title: update.title.as_deref(),
        url: update.url.as_ref().map(|u| u.as_str()),
        background: update.background.as_ref().map(|b| b.as_deref()),
        width: update.width,
        height: update.height,
        enabled: update.enabled,
        starts_at: update.starts_at,
        ends_at: update.ends_at,
        pinned: update.pinned,
    };
    let updated = diesel::update(links::table.find(link.id))
        .set((
            &changes,
            links::position.eq(target),
            links::modified_on.eq(diesel::dsl::now),
        ))
        .returning(Link::as_returning())
        .get_result(&mut *tx)
        .await?;
    turn.commit(tx).await?;
    Ok(updated)
}

/// Soft-deletes the link and closes the gap it leaves.
pub async fn soft_delete(turn: &GridTurn<'_>, link: &Link) -> Result<(), LinkWriteError> {
    debug_assert_eq!(turn.grid, link.grid, "the turn is at the link's grid");
    let mut tx = turn.begin().await?;
    let was_at = live_position(&mut tx, link.id).await?;
    diesel::update(links::table.find(link.id))
        .set((
            links::is_deleted.eq(true),
            links::deleted_on.eq(diesel::dsl::now),
            links::position.eq(None::<i32>),
        ))
        .execute(&mut *tx)
        .await?;
    diesel::update(
        links::table
            .filter(links::grid.eq(&link.grid))
            .filter(links::is_deleted.eq(false))
            .filter(links::position.gt(was_at)),
    )
    .set(links::position.eq(links::position - 1))
    .execute(&mut *tx)
    .await?;
    let deleted = LinkDeleted::new(link.slug.clone(), link.grid.clone(), link.owner.clone());
    gridlink_events::outbox::enqueue(&mut tx, &deleted).await?;
    turn.commit(tx).await?;
    Ok(())
}

/// Puts the grid's live links in exactly the given order, in one transaction.
/// `order` must name every live link of the grid once.
pub async fn reorder(turn: &GridTurn<'_>, order: &[LinkSlug]) -> Result<(), LinkWriteError> {
    let grid = &turn.grid;
    let mut tx = turn.begin().await?;
    let mut live: Vec<LinkSlug> = links::table
        .filter(links::grid.eq(grid))
        .filter(links::is_deleted.eq(false))
        .select(links::slug)
        .load(&mut *tx)
        .await?;
    let mut wanted = order.to_vec();
    live.sort();
    wanted.sort();
    if live != wanted {
        return Err(LinkWriteError::NotEveryLink);
    }
    prepared(
        "UPDATE links SET position = wanted.position, modified_on = now() \
         FROM (SELECT slug, (ordinality - 1)::int AS position \
               FROM unnest($2::text[]) WITH ORDINALITY AS t(slug, ordinality)) wanted \
         WHERE links.slug = wanted.slug AND links.grid = $1 AND NOT links.is_deleted \
           AND links.position IS DISTINCT FROM wanted.position",
        |q| q.bind::<Text, _>(grid).bind::<Array<Text>, _>(order),
    )
    .execute(&mut *tx)
    .await?;
    turn.commit(tx).await?;
    Ok(())
}

/// Erases every link of a deleted user (found by the owner each link keeps).
pub async fn erase_owner(tx: &mut Tx, owner: &UserId) -> Result<(), DbError> {
    diesel::delete(links::table.filter(links::owner.eq(owner)))
        .execute(&mut **tx)
        .await?;
    super::heads::erase_owner(tx, owner).await?;
    super::grid_copies::erase_owner(tx, owner).await
}

/// Takes, for the rest of the transaction, the locks of those of `grids` no
/// one holds now, without waiting; returns the grids it took. A grid's lock
/// is what every writer of its links holds (and what a head is written
/// under, see `crate::heads`); [`retire_grid`] waits for the same lock.
pub async fn try_lock_grids(conn: &mut Conn, grids: &[GridSlug]) -> Result<Vec<GridSlug>, DbError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Text)]
        grid: GridSlug,
    }
    let locked: Vec<Locked> = prepared(
        "SELECT grid FROM unnest($1::text[]) AS grid \
         WHERE pg_try_advisory_xact_lock(hashtextextended(grid, 0))",
        |q| q.bind::<Array<Text>, _>(grids),
    )
    .load(conn)
    .await?;
    Ok(locked.into_iter().map(|l| l.grid).collect())
}

/// Retires the live links of a deleted grid, and its head; returns how many
/// links. Waits for the grid's lock (at most 5 s, then the delivery is retried).
pub async fn retire_grid(tx: &mut Tx, event: &GridDeleted) -> Result<usize, DbError> {
    diesel::sql_query("SET LOCAL lock_timeout = '5s'")
        .execute(&mut **tx)
        .await?;
    prepared(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        |q| q.bind::<Text, _>(&event.grid),
    )
    .execute(&mut **tx)
    .await?;
    super::heads::drop_grid(tx, &event.grid).await?;
    Ok(diesel::update(
        links::table
            .filter(links::grid.eq(&event.grid))
            .filter(links::is_deleted.eq(false)),
    )
    .set((
        links::is_deleted.eq(true),
        links::deleted_on.eq(diesel::dsl::now),
        links::position.eq(None::<i32>),
    ))
    .execute(&mut **tx)
    .await?)
}
