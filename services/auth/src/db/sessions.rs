//! Refresh tokens ("sessions"): stored as SHA-256 hashes, rotated on use, and
//! grouped in families so reuse of a rotated token revokes the whole family.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_db::DbError;
use gridlink_ids::UserId;
use uuid::Uuid;

use super::Conn;
use super::schema::{refresh_tokens, users};

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken {
    pub user_id: i64,
    pub family_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut Conn, token: NewRefreshToken) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
        .await?;
    Ok(())
}

pub enum Rotation {
    /// The token was live: it is now used, and its successor is stored.
    Rotated { user: UserId },
    /// The token was already used or revoked: its family is now revoked.
    Reused,
    /// Unknown or expired.
    Invalid,
}

/// Marks `presented_hash` used and stores `next` in its family, or revokes the
/// family when the presented token had already been used.
pub async fn rotate(
    conn: &mut Conn,
    presented_hash: Vec<u8>,
    next_hash: Vec<u8>,
    next_expires_at: DateTime<Utc>,
) -> Result<Rotation, DbError> {
    conn.transaction::<_, DbError, _>(async move |conn| {
        let claimed: Option<(i64, Uuid)> = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(&presented_hash))
                .filter(refresh_tokens::used_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null())
                .filter(refresh_tokens::expires_at.gt(diesel::dsl::now)),
        )
        .set(refresh_tokens::used_at.eq(diesel::dsl::now))
        .returning((refresh_tokens::user_id, refresh_tokens::family_id))
        .get_result(conn)
        .await
        .optional()?;

        if let Some((user_id, family_id)) = claimed {
            let user = users::table
                .find(user_id)
                .select(users::slug)
                .first::<UserId>(conn)
                .await?;
            insert(
                conn,
                NewRefreshToken {
                    user_id,
                    family_id,
                    token_hash: next_hash,
                    expires_at: next_expires_at,
                },
            )
            .await?;
            return Ok(Rotation::Rotated { user });
        }

        let known: Option<(Uuid, Option<DateTime<Utc>>)> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&presented_hash))
            .select((refresh_tokens::family_id, refresh_tokens::used_at))
            .first(conn)
            .await
            .optional()?;
        match known {
            Some((family_id, Some(_used))) => {
                revoke_family(conn, family_id).await?;
                Ok(Rotation::Reused)
            }
            _ => Ok(Rotation::Invalid),
        }
    })
    .await
}

/// Revokes the family of the presented token (logout). Unknown tokens are ignored.
pub async fn revoke_family_of(conn: &mut Conn, presented_hash: &[u8]) -> Result<(), DbError> {
    let family: Option<Uuid> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(presented_hash))
        .select(refresh_tokens::family_id)
        .first(conn)
        .await
        .optional()?;
    if let Some(family_id) = family {
        revoke_family(conn, family_id).await?;
    }
    Ok(())
}

async fn revoke_family(conn: &mut Conn, family_id: Uuid) -> Result<(), DbError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke_all_for_user(conn: &mut Conn, user_id: i64) -> Result<(), DbError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}
