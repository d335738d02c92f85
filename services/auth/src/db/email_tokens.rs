//! The single-use tokens mailed to a user: to verify their address, to move
//! to a new one, or to reset a forgotten password. Stored as SHA-256 hashes;
//! issuing one ends the older unused ones of the same purpose, and the mail
//! that carries it goes to the outbox in the same transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_db::DbError;
use gridlink_events::NotificationRequested;
use gridlink_ids::UserId;

use super::Conn;
use super::schema::{email_tokens, users};
use super::sessions::{self, Which};

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Change,
    Reset,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Change => "change",
            Purpose::Reset => "reset",
        }
    }
}

/// A token to store, and the mail that carries it.
pub struct NewToken<'a> {
    pub hash: Vec<u8>,
    pub user_id: i64,
    pub purpose: Purpose,
    pub email: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Ends `user_id`'s unused tokens of `purpose`.
async fn end_unused(conn: &mut Conn, user_id: i64, purpose: Purpose) -> Result<(), DbError> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose.name()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores `token` (ending the user's older ones of its purpose, and
/// forgetting their used and expired ones) and queues `mail`, in one
/// transaction.
pub async fn issue(
    conn: &mut Conn,
    token: NewToken<'_>,
    mail: &NotificationRequested,
) -> Result<(), DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        end_unused(conn, token.user_id, token.purpose).await?;
        // The user's used and expired tokens are of no more use: each user
        // keeps no more rows than the tokens issued since the last one.
        diesel::delete(
            email_tokens::table
                .filter(email_tokens::user_id.eq(token.user_id))
                .filter(
                    email_tokens::used_at
                        .is_not_null()
                        .or(email_tokens::expires_at.le(diesel::dsl::now)),
                ),
        )
        .execute(conn)
        .await?;
        diesel::insert_into(email_tokens::table)
            .values((
                email_tokens::token_hash.eq(&token.hash),
                email_tokens::user_id.eq(token.user_id),
                email_tokens::purpose.eq(token.purpose.name()),
                email_tokens::email.eq(token.email),
                email_tokens::expires_at.eq(token.expires_at),
            ))
            .execute(conn)
            .await?;
        gridlink_events::outbox::enqueue(conn, mail).await?;
        Ok(())
    })
    .await
}

/// A live token: unused and unexpired.
#[derive(Debug, Clone, Queryable)]
pub struct Live {
    pub user_id: i64,
    pub purpose: String,
    pub email: String,
}

fn live(hash: &[u8]) -> email_tokens::BoxedQuery<'_, diesel::pg::Pg> {
    email_tokens::table
        .filter(email_tokens::token_hash.eq(hash))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(diesel::dsl::now))
        .into_boxed()
}

/// The live token of `purpose` with this hash, without using it.
pub async fn find(conn: &mut Conn, hash: &[u8], purpose: Purpose) -> Result<Option<Live>, DbError> {
    Ok(live(hash)
        .filter(email_tokens::purpose.eq(purpose.name()))
        .select((
            email_tokens::user_id,
            email_tokens::purpose,
            email_tokens::email,
        ))
        .first(conn)
        .await
        .optional()?)
}

/// Uses the live token with this hash, if it is one of `purposes`.
async fn redeem(
    conn: &mut Conn,
    hash: &[u8],
    purposes: &[Purpose],
) -> Result<Option<Live>, DbError> {
    let names: Vec<&str> = purposes.iter().map(|p| p.name()).collect();
    Ok(diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(hash))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(diesel::dsl::now))
            .filter(email_tokens::purpose.eq_any(names)),
    )
    .set(email_tokens::used_at.eq(diesel::dsl::now))
    .returning((
        email_tokens::user_id,
        email_tokens::purpose,
        email_tokens::email,
    ))
    .get_result(conn)
    .await
    .optional()?)
}

/// What a verification token did.
#[derive(Debug)]
pub enum Verification {
    /// Unknown, used, expired, or for an address the account no longer has.
    Invalid,
    /// The account's address is verified.
    Verified,
    /// The account moved to the token's address (verified); its old
    /// address is told.
    Changed,
    /// Another account took the new address since.
    Taken,
}

/// Uses a verification or address-change token; a change queues `notice`
/// (built for the user and their old address) in the same transaction.
pub async fn verify(
    conn: &mut Conn,
    hash: &[u8],
    notice: impl FnOnce(&UserId, &str, &str) -> NotificationRequested + Send,
) -> Result<Verification, DbError> {
    let outcome = conn
        .transaction::<_, DbError, _>(async move |conn| {
            let Some(token) = redeem(conn, hash, &[Purpose::Verify, Purpose::Change]).await? else {
                return Ok(Verification::Invalid);
            };
            let (slug, username, email): (UserId, String, String) = users::table
                .find(token.user_id)
                .select((users::slug, users::username, users::email))
                .for_update()
                .first(conn)
                .await?;
            if token.purpose == Purpose::Verify.name() {
                if !email.eq_ignore_ascii_case(&token.email) {
                    return Ok(Verification::Invalid);
                }
                diesel::update(users::table.find(token.user_id))
                    .set(users::email_verified_at.eq(diesel::dsl::now))
                    .execute(conn)
                    .await?;
                return Ok(Verification::Verified);
            }
            diesel::update(users::table.find(token.user_id))
                .set((
                    users::email.eq(&token.email),
                    users::email_verified_at.eq(diesel::dsl::now),
                    users::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            // Tokens sent to the old address are for an address it no
            // longer has.
            end_unused(conn, token.user_id, Purpose::Verify).await?;
            end_unused(conn, token.user_id, Purpose::Reset).await?;
            gridlink_events::outbox::enqueue(conn, &notice(&slug, &username, &email)).await?;
            Ok(Verification::Changed)
        })
        .await;
    match outcome {
        Err(error) if error.constraint().is_some_and(|c| c.contains("email")) => {
            Ok(Verification::Taken)
        }
        other => other,
    }
}

/// Uses a reset token: sets the password, ends every session and every other
/// reset token, and queues `notice` (built for the token's user by
/// `notice`), in one transaction. `None` when the token is not live.
pub async fn reset_password(
    conn: &mut Conn,
    hash: &[u8],
    password_hash: &str,
    notice: impl FnOnce(&UserId, &str, &str) -> NotificationRequested + Send,
) -> Result<Option<UserId>, DbError> {
    conn.transaction::<_, DbError, _>(async move |conn| {
        let Some(token) = redeem(conn, hash, &[Purpose::Reset]).await? else {
            return Ok(None);
        };
        let (slug, username, email): (UserId, String, String) =
            diesel::update(users::table.find(token.user_id))
                .set((
                    users::password_hash.eq(password_hash),
                    users::updated_at.eq(diesel::dsl::now),
                ))
                .returning((users::slug, users::username, users::email))
                .get_result(conn)
                .await?;
        end_unused(conn, token.user_id, Purpose::Reset).await?;
        sessions::end(conn, token.user_id, &slug, Which::AllBut(None)).await?;
        gridlink_events::outbox::enqueue(conn, &notice(&slug, &username, &email)).await?;
        Ok(Some(slug))
    })
    .await
}

/// A password change ends the reset tokens issued before it; its notice
/// goes out with it.
pub async fn password_changed(
    conn: &mut Conn,
    user_id: i64,
    notice: &NotificationRequested,
) -> Result<(), DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        end_unused(conn, user_id, Purpose::Reset).await?;
        gridlink_events::outbox::enqueue(conn, notice).await?;
        Ok(())
    })
    .await
}
