//! Prometheus instruments for the outbox and the consumers, registered in the
//! service's own registry (its `/metrics`).

use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

#[derive(Clone)]
pub struct EventMetrics {
    /// Outbox rows not yet confirmed by the broker.
    pub outbox_pending: IntGauge,
    /// Age of the oldest pending outbox row, in seconds (0 when none).
    pub outbox_oldest_age: Gauge,
    pub published: IntCounter,
    pub deliveries: IntCounterVec,
    pub acks: IntCounterVec,
    pub redeliveries: IntCounterVec,
    pub retries: IntCounterVec,
    pub dead_letters: IntCounterVec,
}

impl EventMetrics {
    pub fn register(registry: &Registry) -> Self {
        let per_queue = |name: &str, help: &str| {
            let counter =
                IntCounterVec::new(Opts::new(name, help), &["queue"]).expect("valid metric");
            registry
                .register(Box::new(counter.clone()))
                .expect("registered once");
            counter
        };
        let outbox_pending = IntGauge::new(
            "outbox_pending_events",
            "outbox rows not yet confirmed by the broker",
        )
        .expect("valid metric");
        let outbox_oldest_age = Gauge::new(
            "outbox_oldest_pending_age_seconds",
            "age of the oldest unpublished outbox row",
        )
        .expect("valid metric");
        let published = IntCounter::new("outbox_published_total", "events published and confirmed")
            .expect("valid metric");
        for collector in [
            Box::new(outbox_pending.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(outbox_oldest_age.clone()),
            Box::new(published.clone()),
        ] {
            registry.register(collector).expect("registered once");
        }
        Self {
            outbox_pending,
            outbox_oldest_age,
            published,
            deliveries: per_queue(
                "consumer_deliveries_total",
                "messages delivered to a consumer",
            ),
            acks: per_queue("consumer_acks_total", "messages processed and acknowledged"),
            redeliveries: per_queue(
                "consumer_redeliveries_total",
                "deliveries flagged as redelivered",
            ),
            retries: per_queue(
                "consumer_retries_total",
                "messages requeued after a passing failure",
            ),
            dead_letters: per_queue(
                "consumer_dead_letters_total",
                "messages rejected to the dead-letter queue",
            ),
        }
    }

    /// Instruments registered nowhere (tools and tests that do not scrape).
    pub fn unregistered() -> Self {
        Self::register(&Registry::new())
    }
}
