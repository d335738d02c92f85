//! Devices that signed in before: a login that presents one of their tokens
//! is throttled by the device's own budget, not by the account's overall
//! lockout (OWASP "device cookies"). Only a SHA-256 of a token is kept.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use gridlink_db::DbError;

use super::Conn;
use super::schema::devices;

/// Devices a user may have; registering another forgets the oldest.
pub const MAX_PER_USER: i64 = 20;

/// The device of a live token of `user_id`, if the token is one.
pub async fn find(
    conn: &mut Conn,
    user_id: i64,
    token_hash: &[u8],
) -> Result<Option<i64>, DbError> {
    Ok(devices::table
        .filter(devices::token_hash.eq(token_hash))
        .filter(devices::user_id.eq(user_id))
        .filter(devices::expires_at.gt(diesel::dsl::now))
        .select(devices::id)
        .first(conn)
        .await
        .optional()?)
}

/// Registers a device token for `user_id` (replacing the one it presented,
/// if any), forgetting the user's oldest devices beyond [`MAX_PER_USER`].
pub async fn register(
    conn: &mut Conn,
    user_id: i64,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
    replaces: Option<i64>,
) -> Result<(), DbError> {
    if let Some(old) = replaces {
        diesel::delete(devices::table.find(old))
            .execute(conn)
            .await?;
    }
    diesel::insert_into(devices::table)
        .values((
            devices::user_id.eq(user_id),
            devices::token_hash.eq(token_hash),
            devices::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    let beyond_cap: Vec<i64> = devices::table
        .filter(devices::user_id.eq(user_id))
        .order((devices::created_at.desc(), devices::id.desc()))
        .offset(MAX_PER_USER)
        .select(devices::id)
        .load(conn)
        .await?;
    diesel::delete(devices::table.filter(devices::id.eq_any(beyond_cap)))
        .execute(conn)
        .await?;
    Ok(())
}
