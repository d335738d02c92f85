use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_events::UserDeleted;
use gridlink_problem::ApiError;

use super::Conn;
use super::schema::{deleted_users, lower, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub slug: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub slug: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub bio: Option<String>,
}

/// Inserts a user; a taken username or email is a 409 naming the field.
pub async fn insert(conn: &mut Conn, user: NewUser<'_>) -> Result<User, ApiError> {
    diesel::insert_into(users::table)
        .values(&user)
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                match info.constraint_name() {
                    Some(c) if c.contains("email") => {
                        ApiError::conflict("email", "this email is already registered")
                    }
                    _ => ApiError::conflict("username", "this username is taken"),
                }
            }
            other => other.into(),
        })
}

/// By username (canonical lowercase) or by email, ignoring case.
pub async fn find_by_login(conn: &mut Conn, login: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(
            users::username
                .eq(login.to_ascii_lowercase())
                .or(lower(users::email).eq(login.to_lowercase())),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::slug.eq(slug))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// `username` in any case; anything that cannot be a username finds nobody.
pub async fn find_by_username(conn: &mut Conn, username: &str) -> QueryResult<Option<User>> {
    let Ok(username) = crate::domain::username(username) else {
        return Ok(None);
    };
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_many_by_slug(conn: &mut Conn, slugs: &[String]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::slug.eq_any(slugs))
        .select(User::as_select())
        .load(conn)
        .await
}

pub async fn update_profile(
    conn: &mut Conn,
    id: i64,
    changes: ProfileChanges,
) -> QueryResult<User> {
    if changes.display_name.is_none() && changes.bio.is_none() {
        return users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .await;
    }
    diesel::update(users::table.find(id))
        .set((&changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_password_hash(conn: &mut Conn, id: i64, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Changes the password and revokes every refresh token of the user, atomically.
pub async fn change_password(conn: &mut Conn, id: i64, hash: &str) -> QueryResult<()> {
    let hash = hash.to_owned();
    conn.transaction(async move |conn| {
        set_password_hash(conn, id, &hash).await?;
        super::sessions::revoke_all_for_user(conn, id).await
    })
    .await
}

/// Deletes the user (their refresh tokens go with them), keeps a tombstone of
/// the public id, and writes `user.deleted` to the outbox, all in one
/// transaction: the event exists exactly when the deletion committed.
pub async fn delete(conn: &mut Conn, user: &User) -> QueryResult<UserDeleted> {
    let (id, slug) = (user.id, user.slug.clone());
    conn.transaction(async move |conn| {
        diesel::delete(users::table.find(id)).execute(conn).await?;
        diesel::insert_into(deleted_users::table)
            .values(deleted_users::slug.eq(&slug))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let event = UserDeleted::new(slug);
        gridlink_events::outbox::enqueue(conn, &event).await?;
        Ok(event)
    })
    .await
}
