//! Supervised consumers. Each delivery is handed to the queue's handler, which
//! does its work in one database transaction; the delivery is acked only after
//! that committed. A handler that cannot make sense of a message (bad JSON, an
//! unknown type or version) dead-letters it at once; one that fails for a
//! passing reason has it redelivered with backoff until the queue's delivery
//! limit dead-letters it. Either way the consumer goes on with the next one.
//!
//! Automatic recovery is not trusted: the supervisor watches the connection
//! and every consumer stream, and rebuilds connection, channel, topology and
//! consumers from scratch when any of them stops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, TryStreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::deadline;
use crate::metrics::EventMetrics;
use crate::settings::{BrokerSettings, BrokerState};
use crate::topology::QueueSpec;

/// A delivered message, as handlers see it.
#[derive(Debug, Clone)]
pub struct Message {
    /// The `type` property (e.g. `user.deleted.v1`), or the routing key.
    pub event_type: String,
    pub payload: Vec<u8>,
}

impl Message {
    /// The payload as `T`, or a permanent failure: retrying will not fix it.
    pub fn decode<T: DeserializeOwned>(&self, expected_type: &str) -> Result<T, HandlerError> {
        if self.event_type != expected_type {
            return Err(HandlerError::Permanent(format!(
                "expected {expected_type}, got {}",
                self.event_type
            )));
        }
        serde_json::from_slice(&self.payload)
            .map_err(|e| HandlerError::Permanent(format!("unreadable {expected_type}: {e}")))
    }
}

#[derive(Debug)]
pub enum HandlerError {
    /// The message can never be processed: dead-letter it now.
    Permanent(String),
    /// Processing failed for a reason that may pass (database down): retry.
    Transient(anyhow::Error),
}

impl From<diesel::result::Error> for HandlerError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Transient(error.into())
    }
}

pub type Handler =
    Arc<dyn Fn(Message) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;

/// Runs consumers for `queues` until the process ends.
pub fn spawn(
    settings: BrokerSettings,
    queues: Vec<(QueueSpec, Handler)>,
    state: BrokerState,
    metrics: EventMetrics,
) -> tokio::task::JoinHandle<()> {
    state.set_consumers(false);
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let error = session(&settings, &queues, &state, &metrics)
                .await
                .unwrap_err();
            state.set_consumers(false);
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(100);
            }
            tracing::warn!(
                error = format!("{error:#}"),
                retry_in_ms = backoff.as_millis() as u64,
                "consumers interrupted; rebuilding"
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    })
}

async fn session(
    settings: &BrokerSettings,
    queues: &[(QueueSpec, Handler)],
    state: &BrokerState,
    metrics: &EventMetrics,
) -> anyhow::Result<()> {
    let connection = deadline::broker(
        "consumers cannot reach the broker",
        Connection::connect(settings.url.expose(), ConnectionProperties::default()),
    )
    .await?;
    let channel = deadline::broker("open a channel", connection.create_channel()).await?;
    let qos = channel.basic_qos(settings.prefetch, BasicQosOptions::default());
    deadline::broker("set the prefetch", qos).await?;
    deadline::broker(
        "cannot declare the topology",
        crate::topology::declare(&channel, settings),
    )
    .await?;

    // Each queue is worked on its own, so one whose handler waits (a mail
    // while the SMTP server is down) holds up no other; within a queue, up
    // to its `concurrency` deliveries at once (1: in order).
    let mut workers: Vec<BoxFuture<'_, anyhow::Result<()>>> = Vec::with_capacity(queues.len());
    for (spec, handler) in queues {
        let queue = settings.queue(spec.name);
        let consume = channel.basic_consume(
            queue.as_str().into(),
            format!("{}-{}", spec.name, uuid::Uuid::new_v4().simple()).into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        );
        let consumer = deadline::broker("start consuming", consume).await?;
        let limit = usize::from(spec.concurrency.max(1));
        workers.push(
            async move {
                consumer
                    .map_err(|e| {
                        anyhow::Error::new(e).context(format!("consumer of {queue} failed"))
                    })
                    .try_for_each_concurrent(limit, |delivery| {
                        process(&queue, handler, delivery, metrics)
                    })
                    .await?;
                Err(anyhow::anyhow!("the consumer stream of {queue} ended"))
            }
            .boxed(),
        );
    }
    let workers = futures_util::future::try_join_all(workers);
    tokio::pin!(workers);
    state.set_consumers(true);
    tracing::info!(queues = queues.len(), "consumers connected");

    let mut watchdog = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            ended = &mut workers => {
                ended?;
                anyhow::bail!("every consumer stream ended");
            }
            _ = watchdog.tick() => {
                if !connection.status().connected() {
                    anyhow::bail!("the broker connection was lost");
                }
            }
        }
    }
}

fn header(delivery: &Delivery, name: &str) -> Option<AMQPValue> {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(name).cloned())
}

fn delivery_count(delivery: &Delivery) -> u32 {
    match header(delivery, "x-delivery-count") {
        Some(AMQPValue::LongLongInt(n)) => n.max(0) as u32,
        Some(AMQPValue::LongInt(n)) => n.max(0) as u32,
        Some(AMQPValue::LongUInt(n)) => n,
        _ => u32::from(delivery.redelivered),
    }
}

async fn process(
    queue: &str,
    handler: &Handler,
    delivery: Delivery,
    metrics: &EventMetrics,
) -> anyhow::Result<()> {
    let labels = [queue];
    metrics.deliveries.with_label_values(&labels).inc();
    if delivery.redelivered {
        metrics.redeliveries.with_label_values(&labels).inc();
    }
    let event_type = delivery
        .properties
        .kind()
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_else(|| delivery.routing_key.as_str().to_owned());
    let message_id = delivery
        .properties
        .message_id()
        .as_ref()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "consume",
        otel.name = %format!("{queue} process"),
        otel.kind = "consumer",
        messaging.destination.name = %queue,
        messaging.message.id = %message_id,
        event.r#type = %event_type,
        redelivered = delivery.redelivered,
    );
    if let Some(AMQPValue::LongString(traceparent)) = header(&delivery, "traceparent") {
        gridlink_telemetry::continue_trace(&span, &String::from_utf8_lossy(traceparent.as_bytes()));
    }
    let message = Message {
        event_type,
        payload: delivery.data.clone(),
    };
    let outcome = handler(message).instrument(span.clone()).await;
    let _entered = span.enter();
    match outcome {
        Ok(()) => {
            deadline::broker("ack", delivery.acker.ack(Default::default())).await?;
            metrics.acks.with_label_values(&labels).inc();
        }
        Err(HandlerError::Permanent(reason)) => {
            tracing::warn!(reason, "message cannot be processed; dead-lettering it");
            metrics.dead_letters.with_label_values(&labels).inc();
            let nack = delivery.acker.nack(BasicNackOptions {
                requeue: false,
                multiple: false,
            });
            deadline::broker("dead-letter nack", nack).await?;
        }
        Err(HandlerError::Transient(error)) => {
            let attempt = delivery_count(&delivery);
            let wait =
                Duration::from_millis(100 * 2u64.pow(attempt.min(6))).min(Duration::from_secs(5));
            tracing::warn!(
                error = format!("{error:#}"),
                attempt,
                retry_in_ms = wait.as_millis() as u64,
                "processing failed; will retry"
            );
            drop(_entered);
            tokio::time::sleep(wait).await;
            metrics.retries.with_label_values(&labels).inc();
            let nack = delivery.acker.nack(BasicNackOptions {
                requeue: true,
                multiple: false,
            });
            deadline::broker("requeue nack", nack).await?;
        }
    }
    Ok(())
}
