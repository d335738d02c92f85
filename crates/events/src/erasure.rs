//! Refusing writes for deleted users, without races.
//!
//! When `user.deleted` arrives, the consumer takes an exclusive per-user lock,
//! records the user in `erased_users` and deletes their rows, all in one
//! transaction. Writes on behalf of a user take the same lock shared and check
//! `erased_users` first. So a write either commits before the erasure (and is
//! erased with the rest) or sees the user as erased and is refused: a token
//! that is still valid cannot leave data behind. Services that hold user data
//! create `erased_users` in their migrations.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gridlink_ids::UserId;

diesel::table! {
    erased_users (user_id) {
        user_id -> Text,
        erased_at -> Timestamptz,
    }
}

/// Takes the user's lock shared (for a write on their behalf) and tells
/// whether they were erased. Call inside the write's transaction.
pub async fn lock_as_writer(conn: &mut AsyncPgConnection, user_id: &UserId) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared(hashtextextended('user:' || $1, 0))")
        .bind::<Text, _>(user_id)
        .execute(conn)
        .await?;
    diesel::select(diesel::dsl::exists(
        erased_users::table.filter(erased_users::user_id.eq(user_id)),
    ))
    .get_result(conn)
    .await
}

/// Takes the user's lock exclusively and records them as erased. Call inside
/// the erasure's transaction, before deleting their rows.
pub async fn lock_for_erasure(conn: &mut AsyncPgConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('user:' || $1, 0))")
        .bind::<Text, _>(user_id)
        .execute(conn)
        .await?;
    diesel::insert_into(erased_users::table)
        .values(erased_users::user_id.eq(user_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|_| ())
}
