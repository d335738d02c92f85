//! Gridlink's events over RabbitMQ: the message catalogue, the topology, the
//! transactional outbox and its relay, and supervised idempotent consumers.
//!
//! A publisher writes events to its own `outbox` table inside the transaction
//! that made the change ([`outbox::enqueue`]); the [`relay`] publishes pending
//! rows with `mandatory` and publisher confirms and marks them sent only once
//! the broker confirmed them. Consumers ([`consumer`]) ack only after their
//! database transaction committed, record each event id in the same
//! transaction ([`idempotency`]), and are rebuilt from scratch when the
//! connection or a consumer stream dies. [`broadcast`] delivers an event to
//! every replica of a process instead (each its own exclusive queue).

pub mod broadcast;
pub mod catalog;
pub mod consumer;
#[cfg(test)]
mod contract;
mod deadline;
pub mod erasure;
pub mod idempotency;
pub mod metrics;
pub mod outbox;
pub mod relay;
pub mod settings;
pub mod spool;
pub mod topology;

pub use catalog::{
    Device, Event, GridChange, GridChanged, GridDeleted, LinkDeleted, LinksChanged, LinksClicked,
    NotificationRequested, PagesViewed, SessionsRevoked, Template, UserDeleted, UserErased,
    UserUpdated, Visit,
};
pub use metrics::EventMetrics;
pub use settings::{BrokerSettings, BrokerState};

use futures_util::future::BoxFuture;
use gridlink_config::Secret;

/// Starts the outbox relay and, when `queues` is not empty, the consumers,
/// which keep `state` (what `/readyz` reports) up to date.
pub fn start(
    database_url: Secret,
    settings: BrokerSettings,
    queues: Vec<(topology::QueueSpec, consumer::Handler)>,
    metrics: EventMetrics,
    state: BrokerState,
) {
    relay::spawn(
        database_url,
        settings.clone(),
        state.clone(),
        metrics.clone(),
    );
    if !queues.is_empty() {
        consumer::spawn(settings, queues, state, metrics);
    }
}

/// Runs `queues`' consumers alone, for a process with no outbox (the
/// gateway): `state` says whether they are connected.
pub fn consume(
    settings: BrokerSettings,
    queues: Vec<(topology::QueueSpec, consumer::Handler)>,
    metrics: EventMetrics,
    state: BrokerState,
) {
    consumer::spawn(settings, queues, state, metrics);
}

/// A readiness check: the broker is reachable.
pub fn readiness(
    state: BrokerState,
) -> impl Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static {
    move || {
        let connected = state.is_connected();
        Box::pin(async move {
            if connected {
                Ok(())
            } else {
                Err("broker not connected".to_owned())
            }
        })
    }
}
