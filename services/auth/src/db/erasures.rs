//! Proof of erasure: the services that confirmed erasing a deleted user.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use gridlink_db::DbError;
use gridlink_events::UserErased;
use gridlink_ids::UserId;

use super::Conn;
use super::schema::{deleted_users, erasures};

/// Records a service's confirmation (once per service).
pub async fn record(conn: &mut Conn, event: &UserErased) -> Result<(), DbError> {
    diesel::insert_into(erasures::table)
        .values((
            erasures::user_id.eq(&event.user_id),
            erasures::service.eq(&event.service),
            erasures::erased_at.eq(event.erased_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// When the user was deleted and which services confirmed erasure since;
/// `None` for a user that was never deleted.
pub async fn status(
    conn: &mut Conn,
    user_id: &UserId,
) -> Result<Option<(DateTime<Utc>, Vec<(String, DateTime<Utc>)>)>, DbError> {
    let Some(deleted_at) = deleted_users::table
        .find(user_id)
        .select(deleted_users::deleted_at)
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let confirmed = erasures::table
        .filter(erasures::user_id.eq(user_id))
        .select((erasures::service, erasures::erased_at))
        .order(erasures::service.asc())
        .load(conn)
        .await?;
    Ok(Some((deleted_at, confirmed)))
}
