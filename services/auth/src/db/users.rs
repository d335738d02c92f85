use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_db::DbError;
use gridlink_events::{SessionsRevoked, UserDeleted, UserUpdated};
use gridlink_ids::{SessionId, UserId, Username};

use super::Conn;
use super::schema::{deleted_users, lower, sessions, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub slug: UserId,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub mfa_enabled_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub slug: &'a UserId,
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ProfileChanges<'a> {
    pub display_name: Option<&'a str>,
    pub bio: Option<&'a str>,
}

/// Which unique field a refused insert collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Username,
    Email,
}

impl Taken {
    /// The field a unique constraint of the users table guards.
    pub fn of(error: &DbError) -> Option<Self> {
        error.constraint().map(|c| {
            if c.contains("email") {
                Self::Email
            } else {
                Self::Username
            }
        })
    }
}

/// Inserts a user; a taken username or email is a `Conflict` ([`Taken::of`] names it).
pub async fn insert(conn: &mut Conn, user: NewUser<'_>) -> Result<User, DbError> {
    Ok(diesel::insert_into(users::table)
        .values(&user)
        .returning(User::as_returning())
        .get_result(conn)
        .await?)
}

/// By username (canonical lowercase) or by email, ignoring case.
pub async fn find_by_login(conn: &mut Conn, login: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(
            users::username
                .eq(login.to_ascii_lowercase())
                .or(lower(users::email).eq(login.to_lowercase())),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// By address, ignoring case.
pub async fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(lower(users::email).eq(email.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Why a signed-in request has no live account behind it.
pub enum NotSignedIn {
    AccountGone,
    SessionEnded,
}

/// The user of a live session: checked here, exactly, as well as by the
/// verifier's revocation list (which may lag by the event's trip).
pub async fn find_in_session(
    conn: &mut Conn,
    id: &UserId,
    sid: &SessionId,
) -> Result<Result<User, NotSignedIn>, DbError> {
    let user: Option<(User, Option<i64>)> = users::table
        .left_join(
            sessions::table.on(sessions::user_id
                .eq(users::id)
                .and(sessions::slug.eq(sid))
                .and(sessions::revoked_at.is_null())
                .and(sessions::expires_at.gt(diesel::dsl::now))),
        )
        .filter(users::slug.eq(id))
        .select((User::as_select(), sessions::id.nullable()))
        .first(conn)
        .await
        .optional()?;
    Ok(match user {
        None => Err(NotSignedIn::AccountGone),
        Some((_, None)) => Err(NotSignedIn::SessionEnded),
        Some((user, Some(_))) => Ok(user),
    })
}

pub async fn find_by_username(
    conn: &mut Conn,
    username: &Username,
) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username.as_str()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_many(conn: &mut Conn, ids: &[UserId]) -> Result<Vec<User>, DbError> {
    Ok(users::table
        .filter(users::slug.eq_any(ids))
        .select(User::as_select())
        .load(conn)
        .await?)
}

pub async fn update_profile(
    conn: &mut Conn,
    id: i64,
    changes: ProfileChanges<'_>,
) -> Result<User, DbError> {
    if changes.display_name.is_none() && changes.bio.is_none() {
        return Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .await?);
    }
    // The change and `user.updated` (for the pages showing the user) commit
    // together.
    conn.transaction::<_, DbError, _>(async |conn| {
        let user: User = diesel::update(users::table.find(id))
            .set((&changes, users::updated_at.eq(diesel::dsl::now)))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        let event = UserUpdated::new(user.slug.clone());
        gridlink_events::outbox::enqueue(conn, &event).await?;
        Ok(user)
    })
    .await
}

pub async fn set_password_hash(conn: &mut Conn, id: i64, hash: &str) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the user (their sessions and devices go with them), keeps a
/// tombstone of the public id, holds the username and email back (`retired`,
/// until `retired_until`), and writes `user.sessions_revoked` (every session)
/// and `user.deleted` to the outbox, all in one transaction: the events exist
/// exactly when the deletion committed.
pub async fn delete(
    conn: &mut Conn,
    user: &User,
    retired: &[Vec<u8>],
    retired_until: DateTime<Utc>,
) -> Result<UserDeleted, DbError> {
    let (id, slug) = (user.id, user.slug.clone());
    conn.transaction::<_, DbError, _>(async move |conn| {
        diesel::delete(users::table.find(id)).execute(conn).await?;
        diesel::insert_into(deleted_users::table)
            .values(deleted_users::slug.eq(&slug))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        super::identities::retire(conn, retired, retired_until).await?;
        let revoked = SessionsRevoked::account(slug.clone());
        gridlink_events::outbox::enqueue(conn, &revoked).await?;
        let event = UserDeleted::new(slug);
        gridlink_events::outbox::enqueue(conn, &event).await?;
        Ok(event)
    })
    .await
}
