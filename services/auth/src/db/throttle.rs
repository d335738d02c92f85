//! Failed-login counters in the database, so every replica sees the same ones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use gridlink_db::DbError;

use super::Conn;
use super::schema::login_throttle;

/// A counter key and the number of failures it may reach within the window.
pub struct Limit<'a> {
    pub key: &'a str,
    pub max_failures: i32,
}

/// Counts one attempt against each of `limits` before the password is
/// checked, and says when the first exhausted one opens again, if any is.
///
/// Spending first is what makes the limit hold: each upsert takes its row's
/// lock, so attempts sent in parallel get distinct counts and at most
/// `max_failures` of them pass, and an attempt abandoned mid-check still
/// counts. A new window starts where the old one has ended.
pub async fn spend(
    conn: &mut Conn,
    limits: &[Limit<'_>],
    window: chrono::Duration,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let window_start_cutoff = Utc::now() - window;
    let rows: Vec<_> = limits
        .iter()
        .map(|limit| {
            (
                login_throttle::key.eq(limit.key),
                login_throttle::failures.eq(1),
                login_throttle::window_started_at.eq(diesel::dsl::now),
            )
        })
        .collect();
    let expired = login_throttle::window_started_at.lt(window_start_cutoff);
    let counted: Vec<(String, i32, DateTime<Utc>)> = diesel::insert_into(login_throttle::table)
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
        .returning((
            login_throttle::key,
            login_throttle::failures,
            login_throttle::window_started_at,
        ))
        .get_results(conn)
        .await?;
    Ok(counted
        .into_iter()
        .filter_map(|(key, attempts, started)| {
            let limit = limits.iter().find(|l| l.key == key)?;
            (attempts > limit.max_failures).then_some(started + window)
        })
        .max())
}

/// Gives back an attempt [`spend`] counted that turned out right.
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

/// Clears an account's counter after a successful login.
pub async fn clear(conn: &mut Conn, key: &str) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.filter(login_throttle::key.eq(key)))
        .execute(conn)
        .await?;
    Ok(())
}
