//! Events every replica must see, not one consumer of a group: each follower
//! binds its own server-named, exclusive, auto-delete queue, so the broker
//! copies every matching event to every running process, and the queue goes
//! away with the process.
//!
//! Such a queue misses what was published while it did not exist (before the
//! process started, while the broker was down), so a follower says how to
//! catch up: [`Follower::catch_up`] runs each time the queue is (re)bound,
//! after binding (nothing falls between the two), every few seconds while
//! the broker is unreachable, and every [`RECONCILE`] while following (the
//! broker can be up for this process and not for the publisher, whose events
//! then wait in its outbox). The events must therefore be idempotent to
//! apply, and `catch_up` must read the same facts from their source.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

use crate::consumer::Message;
use crate::deadline;
use crate::settings::BrokerSettings;

/// Backoff between attempts while the broker is unreachable: also how stale
/// a follower can get then, as it catches up before each attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often a follower reads the source while its queue is bound: how stale
/// it can get when events stop arriving although its own connection is up.
pub const RECONCILE: Duration = Duration::from_secs(30);

/// What a process does with a broadcast event type.
pub trait Follower: Send + Sync + 'static {
    /// Reads what may have been missed from the source of truth.
    fn catch_up(&self) -> BoxFuture<'_, Result<(), String>>;
    /// Applies one event (idempotently).
    fn apply(&self, message: Message);
}

/// Follows `routing_key` on the settings' exchange until the process ends.
pub fn follow<F: Follower>(
    settings: BrokerSettings,
    routing_key: &'static str,
    follower: F,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let error = session(&settings, routing_key, &follower)
                .await
                .unwrap_err();
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(100);
            }
            tracing::warn!(
                error = format!("{error:#}"),
                routing_key,
                retry_in_ms = backoff.as_millis() as u64,
                "broadcast follower interrupted; catching up from the source"
            );
            try_catch_up(&follower, routing_key).await;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

async fn session<F: Follower>(
    settings: &BrokerSettings,
    routing_key: &'static str,
    follower: &F,
) -> anyhow::Result<()> {
    let connection = deadline::broker(
        "the follower cannot reach the broker",
        Connection::connect(settings.url.expose(), ConnectionProperties::default()),
    )
    .await?;
    let channel = deadline::broker("open a channel", connection.create_channel()).await?;
    deadline::broker(
        "declare the exchange",
        crate::topology::declare_exchange(&channel, settings),
    )
    .await?;
    let options = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let queue = deadline::broker(
        "declare the follower's queue",
        channel.queue_declare("".into(), options, FieldTable::default()),
    )
    .await?;
    let name = queue.name().clone();
    deadline::broker(
        "bind the follower's queue",
        channel.queue_bind(
            name.clone(),
            settings.exchange.as_str().into(),
            routing_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    let consume = channel.basic_consume(
        name,
        format!("follow-{}", uuid::Uuid::new_v4().simple()).into(),
        BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        },
        FieldTable::default(),
    );
    let mut deliveries = deadline::broker("start following", consume).await?;
    // Bound first, then caught up: whatever was published in between is
    // both in the source and in the queue, and applying it twice is harmless.
    // A source that is down is asked again every few seconds, one that is
    // up every `RECONCILE`.
    let mut caught_up = try_catch_up(follower, routing_key).await;
    tracing::info!(routing_key, "following broadcast events");

    let mut watchdog = tokio::time::interval(Duration::from_secs(1));
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            next = deliveries.next() => match next {
                Some(Ok(delivery)) => {
                    let event_type = delivery
                        .properties
                        .kind()
                        .as_ref()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_else(|| delivery.routing_key.as_str().to_owned());
                    follower.apply(Message { event_type, payload: delivery.data });
                }
                Some(Err(e)) => return Err(anyhow::Error::new(e).context("the follower's stream failed")),
                None => anyhow::bail!("the follower's stream ended"),
            },
            _ = watchdog.tick() => {
                if !connection.status().connected() {
                    anyhow::bail!("the broker connection was lost");
                }
                ticks += 1;
                let every = if caught_up { RECONCILE } else { MAX_BACKOFF };
                if ticks.is_multiple_of(every.as_secs() as u32) {
                    caught_up = try_catch_up(follower, routing_key).await;
                }
            }
        }
    }
}

async fn try_catch_up<F: Follower>(follower: &F, routing_key: &str) -> bool {
    match follower.catch_up().await {
        Ok(()) => true,
        Err(reason) => {
            tracing::warn!(reason, routing_key, "could not catch up from the source");
            false
        }
    }
}
