//! TOTP secrets, recovery codes and login challenges.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_db::DbError;

use super::Conn;
use super::schema::{mfa_challenges, recovery_codes, totp_secrets, users};

/// A user's TOTP secret, sealed.
#[derive(Debug, Clone, Queryable)]
pub struct Totp {
    pub secret_sealed: Vec<u8>,
    pub confirmed: bool,
    pub last_step: i64,
}

pub async fn find(conn: &mut Conn, user_id: i64) -> Result<Option<Totp>, DbError> {
    Ok(totp_secrets::table
        .find(user_id)
        .select((
            totp_secrets::secret_sealed,
            totp_secrets::confirmed_at.is_not_null(),
            totp_secrets::last_step,
        ))
        .first(conn)
        .await
        .optional()?)
}

/// Stores a new, unconfirmed secret (replacing an unconfirmed one); `false`
/// when TOTP is on already.
pub async fn enrol(conn: &mut Conn, user_id: i64, sealed: &[u8]) -> Result<bool, DbError> {
    let stored = diesel::sql_query(
        "INSERT INTO totp_secrets (user_id, secret_sealed) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE
            SET secret_sealed = EXCLUDED.secret_sealed, last_step = 0, created_at = now()
            WHERE totp_secrets.confirmed_at IS NULL",
    )
    .bind::<diesel::sql_types::BigInt, _>(user_id)
    .bind::<diesel::sql_types::Bytea, _>(sealed)
    .execute(conn)
    .await?;
    Ok(stored == 1)
}

/// Accepts the code of `step` unless a code of it or a later step was
/// accepted already (a replay); `false` then.
pub async fn accept_step(conn: &mut Conn, user_id: i64, step: i64) -> Result<bool, DbError> {
    let updated = diesel::update(
        totp_secrets::table
            .find(user_id)
            .filter(totp_secrets::last_step.lt(step)),
    )
    .set(totp_secrets::last_step.eq(step))
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

/// Turns TOTP on with its first accepted code's `step`, replacing any
/// recovery codes with `codes` (hashes). `false` when it was confirmed
/// already or the step was used.
pub async fn confirm(
    conn: &mut Conn,
    user_id: i64,
    step: i64,
    codes: &[Vec<u8>],
) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let confirmed = diesel::update(
            totp_secrets::table
                .find(user_id)
                .filter(totp_secrets::confirmed_at.is_null())
                .filter(totp_secrets::last_step.lt(step)),
        )
        .set((
            totp_secrets::confirmed_at.eq(diesel::dsl::now),
            totp_secrets::last_step.eq(step),
        ))
        .execute(conn)
        .await?;
        if confirmed == 0 {
            return Ok(false);
        }
        diesel::update(users::table.find(user_id))
            .set(users::mfa_enabled_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)
            .await?;
        let rows: Vec<_> = codes
            .iter()
            .map(|hash| {
                (
                    recovery_codes::user_id.eq(user_id),
                    recovery_codes::code_hash.eq(hash),
                )
            })
            .collect();
        diesel::insert_into(recovery_codes::table)
            .values(rows)
            .execute(conn)
            .await?;
        Ok(true)
    })
    .await
}

/// Uses one recovery code; `false` when it is not one of the user's unused ones.
pub async fn use_recovery_code(
    conn: &mut Conn,
    user_id: i64,
    hash: &[u8],
) -> Result<bool, DbError> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(used == 1)
}

/// Turns TOTP off: the secret and the recovery codes go.
pub async fn disable(conn: &mut Conn, user_id: i64) -> Result<(), DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        diesel::delete(totp_secrets::table.find(user_id))
            .execute(conn)
            .await?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)
            .await?;
        diesel::update(users::table.find(user_id))
            .set(users::mfa_enabled_at.eq(None::<DateTime<Utc>>))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// A login that passed its password and waits for its second factor. The
/// user's passed and expired challenges are forgotten first.
pub async fn start_challenge(
    conn: &mut Conn,
    token_hash: &[u8],
    user_id: i64,
    device_id: Option<i64>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::delete(
        mfa_challenges::table
            .filter(mfa_challenges::user_id.eq(user_id))
            .filter(
                mfa_challenges::used_at
                    .is_not_null()
                    .or(mfa_challenges::expires_at.le(diesel::dsl::now)),
            ),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(mfa_challenges::table)
        .values((
            mfa_challenges::token_hash.eq(token_hash),
            mfa_challenges::user_id.eq(user_id),
            mfa_challenges::device_id.eq(device_id),
            mfa_challenges::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A live challenge: its user and device.
pub async fn challenge(
    conn: &mut Conn,
    token_hash: &[u8],
) -> Result<Option<(i64, Option<i64>)>, DbError> {
    Ok(mfa_challenges::table
        .find(token_hash)
        .filter(mfa_challenges::used_at.is_null())
        .filter(mfa_challenges::expires_at.gt(diesel::dsl::now))
        .select((mfa_challenges::user_id, mfa_challenges::device_id))
        .first(conn)
        .await
        .optional()?)
}

/// Ends a challenge once passed; `false` when another request passed it first.
pub async fn end_challenge(conn: &mut Conn, token_hash: &[u8]) -> Result<bool, DbError> {
    let ended = diesel::update(
        mfa_challenges::table
            .find(token_hash)
            .filter(mfa_challenges::used_at.is_null()),
    )
    .set(mfa_challenges::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(ended == 1)
}
