//! The transactional outbox. A publisher calls [`enqueue`] inside the database
//! transaction that makes the change, so the event exists if and only if the
//! change committed. Each publishing service's migrations create the `outbox`
//! table with the columns below.

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
        .await
        .map(|_| ())
}
