//! The transactional outbox. A publisher calls [`enqueue`] inside the database
//! transaction that makes the change, so the event exists if and only if the
//! change committed. Each publishing service's migrations create the `outbox`
//! table with the columns below. At commit, the transaction also wakes the
//! relays listening on the database ([`CHANNEL`]), so an event leaves at once
//! rather than at the relay's next look.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::Event;

diesel::table! {
    outbox (id) {
        id -> BigInt,
        event_id -> Uuid,
        event_type -> Text,
        routing_key -> Text,
        payload -> Jsonb,
        traceparent -> Nullable<Text>,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
    }
}

/// The channel a relay listens on for new rows (`LISTEN`/`NOTIFY`, which
/// PostgreSQL scopes to one database).
pub const CHANNEL: &str = "gridlink_outbox";

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow<'a> {
    event_id: uuid::Uuid,
    event_type: &'a str,
    routing_key: &'a str,
    payload: serde_json::Value,
    traceparent: Option<String>,
}

/// Writes `event` to the outbox on `conn`, carrying the current trace context so
/// the consumers' work joins the trace of the request that caused it.
pub async fn enqueue<E: Event>(conn: &mut AsyncPgConnection, event: &E) -> QueryResult<()> {
    let payload = serde_json::to_value(event)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(outbox::table)
        .values(NewRow {
            event_id: event.event_id(),
            event_type: E::TYPE,
            routing_key: E::TYPE,
            payload,
            traceparent: gridlink_telemetry::current_traceparent(),
        })
        .execute(conn)
        .await?;
    // Delivered at commit, and only then; a transaction's notifications on
    // one channel arrive as one.
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .await
        .map(|_| ())
}
