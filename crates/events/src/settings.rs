use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gridlink_config::{ConfigError, Secret};

/// How to reach the broker and what the topology is called.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// `AMQP_URL`.
    pub url: Secret,
    /// `EVENTS_EXCHANGE`: the topic exchange (default `gridlink.events`).
    pub exchange: String,
    /// `EVENTS_QUEUE_PREFIX`: prepended to every queue name (tests isolate
    /// themselves with it; empty in production).
    pub queue_prefix: String,
    /// `EVENTS_PREFETCH`: unacknowledged deliveries per consumer.
    pub prefetch: u16,
    /// `EVENTS_DELIVERY_LIMIT`: deliveries before a message is dead-lettered.
    pub delivery_limit: i32,
    /// `OUTBOX_POLL_MS` (default 1000): how often an idle relay looks for
    /// pending rows that no notification announced (see `relay`).
    pub poll_interval: Duration,
}

impl BrokerSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            url: gridlink_config::amqp_url(),
            exchange: gridlink_config::string("EVENTS_EXCHANGE", "gridlink.events"),
            queue_prefix: gridlink_config::string("EVENTS_QUEUE_PREFIX", ""),
            prefetch: gridlink_config::parse("EVENTS_PREFETCH", 16)?,
            delivery_limit: gridlink_config::parse("EVENTS_DELIVERY_LIMIT", 5)?,
            poll_interval: Duration::from_millis(gridlink_config::parse("OUTBOX_POLL_MS", 1000)?),
        })
    }

    /// Settings whose exchange and queues no other test run shares.
    pub fn isolated(url: Secret, name: &str) -> Self {
        Self {
            url,
            exchange: format!("{name}.events"),
            queue_prefix: format!("{name}."),
            prefetch: 16,
            delivery_limit: 3,
            // Longer than the bounds the tests measure events against, so
            // that they measure the notifications.
            poll_interval: Duration::from_secs(2),
        }
    }

    pub fn queue(&self, name: &str) -> String {
        format!("{}{name}", self.queue_prefix)
    }

    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.exchange)
    }
}

/// Whether this process currently holds a working broker connection; shared
/// by the relay and the consumers, read by `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct BrokerState {
    relay: Arc<AtomicBool>,
    has_consumers: Arc<AtomicBool>,
    /// When the consumers last (re)connected; `None` while they are not.
    consuming_since: Arc<Mutex<Option<Instant>>>,
}

impl BrokerState {
    pub(crate) fn set_relay(&self, up: bool) {
        self.relay.store(up, Ordering::Relaxed);
    }

    pub(crate) fn set_consumers(&self, up: bool) {
        self.has_consumers.store(true, Ordering::Relaxed);
        let mut since = self.consuming_since.lock().expect("never poisoned");
        if up {
            since.get_or_insert_with(Instant::now);
        } else {
            *since = None;
        }
    }

    /// How long this process's consumers have been connected without a
    /// break; `None` while they are not (or it has none).
    pub fn consuming_for(&self) -> Option<Duration> {
        let since = *self.consuming_since.lock().expect("never poisoned");
        since.map(|since| since.elapsed())
    }

    /// Ready when the relay is connected and, if this service consumes, so are
    /// its consumers.
    pub fn is_connected(&self) -> bool {
        self.relay.load(Ordering::Relaxed)
            && (!self.has_consumers.load(Ordering::Relaxed) || self.consuming_for().is_some())
    }
}
