//! Publishes the outbox. Pending rows are claimed with `FOR UPDATE SKIP
//! LOCKED` (so several replicas can relay at once without publishing a row
//! twice concurrently), published with `mandatory` and publisher confirms, and
//! marked sent in the same transaction only when the broker confirmed them and
//! no queue was missing. Anything else stays pending and is retried: a broker
//! outage delays events, it never loses them.
//!
//! An idle relay waits for a writer's notification ([`crate::outbox::CHANNEL`],
//! sent at commit), and looks anyway every `OUTBOX_POLL_MS`: for rows left
//! pending (unroutable, refused, or released by a replica that failed while
//! holding them), which no notification announces again.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{FutureExt, StreamExt};
use gridlink_config::Secret;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use uuid::Uuid;

use crate::deadline;
use crate::metrics::EventMetrics;
use crate::outbox::outbox;
use crate::settings::{BrokerSettings, BrokerState};

/// Rows published per transaction.
const BATCH: i64 = 200;
/// Published rows (and processed event ids) are kept this long, then removed.
const RETENTION_DAYS: i64 = 7;

#[derive(Queryable)]
struct Pending {
    id: i64,
    event_id: Uuid,
    event_type: String,
    routing_key: String,
    payload: serde_json::Value,
    traceparent: Option<String>,
    created_at: DateTime<Utc>,
}

/// Runs the relay for the service's outbox until the process ends,
/// reconnecting to the database and the broker with backoff.
pub fn spawn(
    database_url: Secret,
    settings: BrokerSettings,
    state: BrokerState,
    metrics: EventMetrics,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let error = session(&database_url, &settings, &state, &metrics)
                .await
                .unwrap_err();
            state.set_relay(false);
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(100);
            }
            tracing::warn!(
                error = format!("{error:#}"),
                retry_in_ms = backoff.as_millis() as u64,
                "outbox relay interrupted"
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    })
}

/// Connects and publishes until something fails.
async fn session(
    database_url: &Secret,
    settings: &BrokerSettings,
    state: &BrokerState,
    metrics: &EventMetrics,
) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(database_url.expose())
        .await
        .context("relay cannot reach the database")?;
    let connection = deadline::broker(
        "relay cannot reach the broker",
        Connection::connect(settings.url.expose(), ConnectionProperties::default()),
    )
    .await?;
    let channel = deadline::broker("open a channel", connection.create_channel()).await?;
    let confirms = channel.confirm_select(ConfirmSelectOptions::default());
    deadline::broker("enable publisher confirms", confirms).await?;
    deadline::broker(
        "cannot declare the topology",
        crate::topology::declare(&channel, settings),
    )
    .await?;
    // Listening before the first look: a row committed after it is announced.
    diesel::sql_query(format!("LISTEN {}", crate::outbox::CHANNEL))
        .execute(&mut conn)
        .await?;
    state.set_relay(true);
    tracing::info!(exchange = %settings.exchange, "outbox relay connected");

    // Housekeeping on every (re)connection, then hourly.
    remove_old(&mut conn).await?;
    let mut last_cleanup = Instant::now();
    let mut last_backlog = Instant::now() - Duration::from_secs(1);
    loop {
        if !connection.status().connected() {
            anyhow::bail!("the broker connection was lost");
        }
        let published = publish_pending(&mut conn, &channel, settings).await?;
        metrics.published.inc_by(published as u64);
        if last_backlog.elapsed() >= Duration::from_secs(1) {
            let (pending, oldest) = backlog(&mut conn).await?;
            metrics.outbox_pending.set(pending);
            metrics.outbox_oldest_age.set(oldest);
            last_backlog = Instant::now();
        }
        if published == 0 {
            wait_for_rows(&mut conn, settings.poll_interval).await?;
        }
        if last_cleanup.elapsed() > Duration::from_secs(3600) {
            remove_old(&mut conn).await?;
            last_cleanup = Instant::now();
        }
    }
}

/// Waits for a writer's notification of new rows, or `poll` at most. The
/// notifications that came meanwhile are taken with it: one look serves them.
async fn wait_for_rows(conn: &mut AsyncPgConnection, poll: Duration) -> anyhow::Result<()> {
    let mut notifications = std::pin::pin!(conn.notifications_stream());
    let Ok(first) = tokio::time::timeout(poll, notifications.next()).await else {
        return Ok(()); // time for the look anyway
    };
    let mut next = Some(first);
    while let Some(notified) = next {
        match notified {
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                return Err(error).context("the relay's database connection failed");
            }
            None => anyhow::bail!("the relay's database connection closed"),
        }
        next = notifications.next().now_or_never();
    }
    Ok(())
}

/// Publishes one batch of pending rows; returns how many were confirmed.
pub async fn publish_pending(
    conn: &mut AsyncPgConnection,
    channel: &Channel,
    settings: &BrokerSettings,
) -> anyhow::Result<usize> {
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let rows: Vec<Pending> = outbox::table
            .filter(outbox::published_at.is_null())
            .order(outbox::id.asc())
            .limit(BATCH)
            .for_update()
            .skip_locked()
            .select((
                outbox::id,
                outbox::event_id,
                outbox::event_type,
                outbox::routing_key,
                outbox::payload,
                outbox::traceparent,
                outbox::created_at,
            ))
            .load(conn)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Publish the whole batch, then collect the confirms (pipelined).
        let mut confirms = Vec::with_capacity(rows.len());
        for row in &rows {
            let body = serde_json::to_vec(&row.payload)?;
            let publish = channel.basic_publish(
                settings.exchange.as_str().into(),
                row.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &body,
                properties(
                    row.event_id,
                    &row.event_type,
                    row.created_at,
                    row.traceparent.as_deref(),
                ),
            );
            let confirm = deadline::broker("publish", publish).await?;
            confirms.push((row.id, row.event_id, confirm));
        }
        let mut sent = Vec::with_capacity(rows.len());
        for (id, event_id, confirm) in confirms {
            match deadline::broker("publisher confirm", confirm).await? {
                Confirmation::Ack(None) => sent.push(id),
                Confirmation::Ack(Some(_returned)) => {
                    tracing::warn!(event.id = %event_id, "event was unroutable (no queue bound); it stays pending")
                }
                Confirmation::Nack(_) => tracing::warn!(event.id = %event_id, "broker refused the event; it stays pending"),
                Confirmation::NotRequested => anyhow::bail!("publisher confirms are not enabled"),
            }
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&sent)))
            .set(outbox::published_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&sent))
                .filter(outbox::event_type.eq_any(crate::catalog::SECRET_BEARING)),
        )
        .set(outbox::payload.eq(serde_json::json!({})))
        .execute(conn)
        .await?;
        tracing::debug!(count = sent.len(), "events published");
        Ok(sent.len())
    })
    .await
}

/// A persistent JSON event message's properties: its id (what consumers
/// deduplicate by), type, creation time and trace.
pub(crate) fn properties(
    event_id: Uuid,
    event_type: &str,
    created_at: DateTime<Utc>,
    traceparent: Option<&str>,
) -> BasicProperties {
    let mut headers = FieldTable::default();
    if let Some(traceparent) = traceparent {
        headers.insert(
            "traceparent".into(),
            AMQPValue::LongString(LongString::from(traceparent.as_bytes().to_vec())),
        );
    }
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(event_id.to_string().into())
        .with_type(event_type.into())
        .with_timestamp(created_at.timestamp().max(0) as u64)
        .with_headers(headers)
}

/// Pending rows and the age of the oldest, in seconds.
async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<(i64, f64)> {
    let (pending, oldest): (i64, Option<DateTime<Utc>>) = outbox::table
        .filter(outbox::published_at.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .first(conn)
        .await?;
    let age = oldest.map_or(0.0, |at| {
        (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok((pending, age))
}

/// Removes published rows and the service's record of events it processed,
/// past the retention: every service with an outbox also consumes.
async fn remove_old(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::days(RETENTION_DAYS);
    let published = diesel::delete(outbox::table.filter(outbox::published_at.lt(cutoff)))
        .execute(conn)
        .await?;
    let processed = crate::idempotency::forget_before(conn, cutoff).await?;
    Ok(published + processed)
}
