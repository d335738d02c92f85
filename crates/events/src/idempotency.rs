//! Each consumer records the events it processed in its own database, in the
//! same transaction as the work, so a redelivered event changes nothing.
//! Consuming services' migrations create `processed_events`; the outbox
//! relay forgets entries after a week (see [`forget_before`]).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

diesel::table! {
    processed_events (event_id) {
        event_id -> Uuid,
        processed_at -> Timestamptz,
    }
}

/// Records `event_id`; `false` when it was already recorded (a redelivery).
/// Call inside the transaction that does the event's work.
pub async fn first_delivery(conn: &mut AsyncPgConnection, event_id: Uuid) -> QueryResult<bool> {
    let inserted = diesel::insert_into(processed_events::table)
        .values(processed_events::event_id.eq(event_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Forgets the events processed before `cutoff`. A duplicate comes right
/// behind its original (a redelivery after a lost ack, a relay's republish
/// after a lost confirm), not days later, so a week is a wide margin.
pub async fn forget_before(
    conn: &mut AsyncPgConnection,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> QueryResult<usize> {
    diesel::delete(processed_events::table.filter(processed_events::processed_at.lt(cutoff)))
        .execute(conn)
        .await
}
