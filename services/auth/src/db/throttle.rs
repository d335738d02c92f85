//! Failed-login counters in the database, so every replica sees the same ones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::Conn;
use super::schema::login_throttle;

/// A counter key and the number of failures it may reach within the window.
pub struct Limit<'a> {
    pub key: &'a str,
    pub max_failures: i32,
}

/// When the first of `limits` that is exhausted opens again, if any is.
pub async fn blocked_until(
    conn: &mut Conn,
    limits: &[Limit<'_>],
    window: chrono::Duration,
) -> QueryResult<Option<DateTime<Utc>>> {
    let keys: Vec<&str> = limits.iter().map(|l| l.key).collect();
    let rows: Vec<(String, i32, DateTime<Utc>)> = login_throttle::table
        .filter(login_throttle::key.eq_any(&keys))
        .select((
            login_throttle::key,
            login_throttle::failures,
            login_throttle::window_started_at,
        ))
        .load(conn)
        .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .filter_map(|(key, failures, started)| {
            let limit = limits.iter().find(|l| l.key == key)?;
            let reopens = started + window;
            (failures >= limit.max_failures && reopens > now).then_some(reopens)
        })
        .max())
}

/// Counts one failure against each key, starting a new window where the old
/// one has ended.
pub async fn record_failure(
    conn: &mut Conn,
    keys: &[&str],
    window: chrono::Duration,
) -> QueryResult<()> {
    let window_start_cutoff = Utc::now() - window;
    let rows: Vec<_> = keys
        .iter()
        .map(|key| {
            (
                login_throttle::key.eq(*key),
                login_throttle::failures.eq(1),
                login_throttle::window_started_at.eq(diesel::dsl::now),
            )
        })
        .collect();
    let expired = login_throttle::window_started_at.lt(window_start_cutoff);
    diesel::insert_into(login_throttle::table)
        .values(rows)
        .on_conflict(login_throttle::key)
        .do_update()
        .set((
            login_throttle::failures.eq(diesel::dsl::case_when(
                expired,
                1.into_sql::<diesel::sql_types::Integer>(),
            )
            .otherwise(login_throttle::failures + 1)),
            login_throttle::window_started_at.eq(diesel::dsl::case_when(
                expired,
                excluded(login_throttle::window_started_at),
            )
            .otherwise(login_throttle::window_started_at)),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Clears an account's counter after a successful login.
pub async fn clear(conn: &mut Conn, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.filter(login_throttle::key.eq(key)))
        .execute(conn)
        .await
        .map(|_| ())
}
