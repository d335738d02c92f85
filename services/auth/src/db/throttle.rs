//! Failed-password counters in the database, so every replica sees the same
//! ones. Each counter has its own window, which starts at its first failure.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_db::DbError;

use super::Conn;
use super::schema::login_throttle;

/// A counter and what it allows: `max_failures` per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit<'a> {
    pub key: &'a str,
    pub max_failures: i32,
    pub window: chrono::Duration,
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    key: String,
}

#[derive(QueryableByName)]
struct Reopens {
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// A counter that is spent, and when it opens again.
#[derive(Debug, Clone)]
pub struct Spent {
    pub key: String,
    pub reopens: DateTime<Utc>,
}

enum ReserveError {
    Spent(Spent),
    Db(DbError),
}

impl From<diesel::result::Error> for ReserveError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// Counts one failure on each of `limits` before a password is checked, in
/// one transaction, or, when any of them is spent, counts nothing at all and
/// says which and until when. Reserving first is what bounds parallel guesses:
/// each upsert holds its row's lock, so at most `max_failures` attempts get
/// through, and one abandoned mid-check still counts. [`refund`] gives the
/// reservation back when the password was right.
pub async fn reserve(conn: &mut Conn, limits: &[Limit<'_>]) -> Result<Option<Spent>, DbError> {
    let outcome = conn
        .transaction::<_, ReserveError, _>(async |conn| {
            for limit in limits {
                let counted: Option<Key> = diesel::sql_query(
                    "INSERT INTO login_throttle AS t (key, failures, window_started_at) \
                     VALUES ($1, 1, now()) \
                     ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                                  THEN 1 ELSE t.failures + 1 END, \
                       window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                                  THEN now() ELSE t.window_started_at END \
                     WHERE t.window_started_at <= now() - make_interval(secs => $2) \
                        OR t.failures < $3 \
                     RETURNING t.key",
                )
                .bind::<Text, _>(limit.key)
                .bind::<Double, _>(limit.window.num_seconds() as f64)
                .bind::<Integer, _>(limit.max_failures)
                .get_result(conn)
                .await
                .optional()?;
                if counted.is_none() {
                    let reopens = reopening(conn, limit).await?;
                    return Err(ReserveError::Spent(Spent {
                        key: limit.key.to_owned(),
                        reopens,
                    }));
                }
            }
            Ok(())
        })
        .await;
    match outcome {
        Ok(()) => Ok(None),
        Err(ReserveError::Spent(spent)) => Ok(Some(spent)),
        Err(ReserveError::Db(e)) => Err(e),
    }
}

async fn reopening(
    conn: &mut Conn,
    limit: &Limit<'_>,
) -> Result<DateTime<Utc>, diesel::result::Error> {
    let Reopens { at } = diesel::sql_query(
        "SELECT window_started_at + make_interval(secs => $2) AS at FROM login_throttle WHERE key = $1",
    )
    .bind::<Text, _>(limit.key)
    .bind::<Double, _>(limit.window.num_seconds() as f64)
    .get_result(conn)
    .await?;
    Ok(at)
}

/// When `limit` is spent (without counting anything), if it is.
pub async fn spent(conn: &mut Conn, limit: &Limit<'_>) -> Result<Option<Spent>, DbError> {
    let row: Option<(i32, DateTime<Utc>)> = login_throttle::table
        .find(limit.key)
        .select((login_throttle::failures, login_throttle::window_started_at))
        .first(conn)
        .await
        .optional()?;
    Ok(row.and_then(|(failures, started)| {
        let reopens = started + limit.window;
        (failures >= limit.max_failures && reopens > Utc::now()).then(|| Spent {
            key: limit.key.to_owned(),
            reopens,
        })
    }))
}

/// Counts one failure on `limit` after the fact (counters that only failures
/// may spend, so a burst of right passwords never does).
pub async fn count(conn: &mut Conn, limit: &Limit<'_>) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO login_throttle AS t (key, failures, window_started_at) \
         VALUES ($1, 1, now()) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                      THEN 1 ELSE t.failures + 1 END, \
           window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                      THEN now() ELSE t.window_started_at END",
    )
    .bind::<Text, _>(limit.key)
    .bind::<Double, _>(limit.window.num_seconds() as f64)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives back a failure [`reserve`] counted for a password that was right.
pub async fn refund(conn: &mut Conn, key: &str) -> Result<(), DbError> {
    diesel::update(
        login_throttle::table
            .filter(login_throttle::key.eq(key))
            .filter(login_throttle::failures.gt(0)),
    )
    .set(login_throttle::failures.eq(login_throttle::failures - 1))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a counter (its owner proved who they are).
pub async fn clear(conn: &mut Conn, key: &str) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.filter(login_throttle::key.eq(key)))
        .execute(conn)
        .await?;
    Ok(())
}
