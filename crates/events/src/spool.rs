//! Events without an outbox, for a process with no database (the gateway's
//! visit counts): items wait in a bounded in-memory spool and are published
//! in batches, one message per batch, with `mandatory` and publisher
//! confirms. A batch is dropped from memory only once the broker confirmed
//! it; until then it is retried with the same event id, so a consumer that
//! records event ids counts it once however often it arrives.
//!
//! What can be lost, and only this: while the broker is down the spool fills
//! up to its bound and counts whatever it refuses past it
//! (`spool_dropped_total`); a killed process loses what it holds, which
//! while the broker is up is the last flush interval's items plus the batch
//! awaiting its confirm. [`Publisher::flush`] publishes everything held
//! before a graceful exit.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{Confirmation, Connection, ConnectionProperties};
use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use serde::Serialize;
use uuid::Uuid;

#[cfg(test)]
use crate::catalog::LinksClicked;
use crate::catalog::{Event, Visit, Visits};
use crate::deadline;
use crate::settings::BrokerSettings;

/// An event that carries a batch of items.
pub trait Batch: Event + Send + 'static {
    type Item: Serialize + Send + 'static;
    fn of(items: Vec<Self::Item>) -> Self;
}

impl<K: Send + 'static> Batch for Visits<K>
where
    Visits<K>: Event,
{
    type Item = Visit;
    fn of(items: Vec<Visit>) -> Self {
        Self::new(Visit::collapse(items))
    }
}

/// How spools batch and how much they hold.
#[derive(Debug, Clone)]
pub struct SpoolSettings {
    /// `SPOOL_MAX_ITEMS` (default 200,000): items held per event type while
    /// the broker is away; past it, new items are dropped and counted.
    pub max_items: usize,
    /// `SPOOL_BATCH` (default 500): items per message.
    pub batch: usize,
    /// `SPOOL_FLUSH_MS` (default 50): how long an item waits for its batch.
    pub flush_every: Duration,
}

impl SpoolSettings {
    pub fn from_env() -> Result<Self, gridlink_config::ConfigError> {
        Ok(Self {
            max_items: gridlink_config::parse("SPOOL_MAX_ITEMS", 200_000)?,
            batch: gridlink_config::parse::<usize>("SPOOL_BATCH", 500)?.max(1),
            flush_every: Duration::from_millis(gridlink_config::parse("SPOOL_FLUSH_MS", 50)?),
        })
    }
}

/// The spools' instruments, labelled by event type.
#[derive(Clone)]
pub struct SpoolMetrics {
    held: IntGaugeVec,
    dropped: IntCounterVec,
    published: IntCounterVec,
}

impl SpoolMetrics {
    pub fn register(registry: &Registry) -> Self {
        let held = IntGaugeVec::new(
            Opts::new("spool_held_items", "items spooled and not yet confirmed"),
            &["event"],
        )
        .expect("valid metric");
        let dropped = IntCounterVec::new(
            Opts::new(
                "spool_dropped_total",
                "items refused because the spool was full",
            ),
            &["event"],
        )
        .expect("valid metric");
        let published = IntCounterVec::new(
            Opts::new(
                "spool_published_total",
                "items published and confirmed by the broker",
            ),
            &["event"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(held.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(dropped.clone()),
            Box::new(published.clone()),
        ] {
            registry.register(collector).expect("registered once");
        }
        Self {
            held,
            dropped,
            published,
        }
    }
}

/// Where one event type's items wait. Cheap to clone; pushing never waits.
pub struct Spool<E: Batch> {
    inner: Arc<Inner<E::Item>>,
    kind: PhantomData<fn() -> E>,
}

impl<E: Batch> Clone for Spool<E> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            kind: PhantomData,
        }
    }
}

struct Inner<T> {
    items: Mutex<VecDeque<T>>,
    /// The batch taken out and not yet confirmed, kept across reconnects.
    unconfirmed: Mutex<Option<Prepared>>,
    max_items: usize,
    metrics: SpoolMetrics,
    event_type: &'static str,
}

struct Prepared {
    event_id: Uuid,
    body: Arc<[u8]>,
    items: usize,
}

impl<E: Batch> Spool<E> {
    pub fn new(settings: &SpoolSettings, metrics: SpoolMetrics) -> Self {
        Self {
            inner: Arc::new(Inner {
                items: Mutex::new(VecDeque::new()),
                unconfirmed: Mutex::new(None),
                max_items: settings.max_items,
                metrics,
                event_type: E::TYPE,
            }),
            kind: PhantomData,
        }
    }

    /// Queues `item` for publishing; `false` (and counted) when full.
    pub fn push(&self, item: E::Item) -> bool {
        let inner = &self.inner;
        let mut items = inner.items.lock().expect("never poisoned");
        if items.len() >= inner.max_items {
            drop(items);
            inner
                .metrics
                .dropped
                .with_label_values(&[inner.event_type])
                .inc();
            return false;
        }
        items.push_back(item);
        drop(items);
        inner
            .metrics
            .held
            .with_label_values(&[inner.event_type])
            .inc();
        true
    }
}

/// What the publisher needs of a spool, whatever its event type.
trait Drain: Send + Sync {
    fn event_type(&self) -> &'static str;
    /// The unconfirmed batch (its id, body and how many items it holds):
    /// the one taken earlier and not yet confirmed, or else a new one of at
    /// most `max` items.
    fn unconfirmed(&self, max: usize) -> Option<(Uuid, Arc<[u8]>, usize)>;
    fn confirmed(&self, event_id: Uuid);
    fn is_empty(&self) -> bool;
}

impl<E: Batch> Drain for Spool<E> {
    fn event_type(&self) -> &'static str {
        E::TYPE
    }

    fn unconfirmed(&self, max: usize) -> Option<(Uuid, Arc<[u8]>, usize)> {
        let mut unconfirmed = self.inner.unconfirmed.lock().expect("never poisoned");
        if unconfirmed.is_none() {
            let items: Vec<E::Item> = {
                let mut queued = self.inner.items.lock().expect("never poisoned");
                let n = queued.len().min(max);
                queued.drain(..n).collect()
            };
            if items.is_empty() {
                return None;
            }
            let count = items.len();
            let event = E::of(items);
            *unconfirmed = Some(Prepared {
                event_id: event.event_id(),
                body: serde_json::to_vec(&event)
                    .expect("an event serialises")
                    .into(),
                items: count,
            });
        }
        unconfirmed
            .as_ref()
            .map(|batch| (batch.event_id, Arc::clone(&batch.body), batch.items))
    }

    fn confirmed(&self, event_id: Uuid) {
        let mut unconfirmed = self.inner.unconfirmed.lock().expect("never poisoned");
        let Some(batch) = unconfirmed.take_if(|batch| batch.event_id == event_id) else {
            return;
        };
        drop(unconfirmed);
        let metrics = &self.inner.metrics;
        metrics
            .held
            .with_label_values(&[E::TYPE])
            .sub(batch.items as i64);
        metrics
            .published
            .with_label_values(&[E::TYPE])
            .inc_by(batch.items as u64);
    }

    fn is_empty(&self) -> bool {
        self.inner
            .unconfirmed
            .lock()
            .expect("never poisoned")
            .is_none()
            && self.inner.items.lock().expect("never poisoned").is_empty()
    }
}

/// The task that publishes a set of spools.
#[derive(Clone)]
pub struct Publisher {
    drains: Arc<Vec<Arc<dyn Drain>>>,
}

/// Collects the spools a [`Publisher`] publishes.
#[derive(Default)]
pub struct Spools {
    drains: Vec<Arc<dyn Drain>>,
}

impl Spools {
    pub fn with<E: Batch>(mut self, spool: &Spool<E>) -> Self {
        self.drains.push(Arc::new(spool.clone()));
        self
    }

    /// Publishes the spools until the process ends, reconnecting with
    /// backoff.
    pub fn spawn(self, broker: BrokerSettings, settings: SpoolSettings) -> Publisher {
        let publisher = Publisher {
            drains: Arc::new(self.drains),
        };
        let running = publisher.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let started = Instant::now();
                let error = running.session(&broker, &settings).await.unwrap_err();
                if started.elapsed() > Duration::from_secs(10) {
                    backoff = Duration::from_millis(100);
                }
                tracing::warn!(
                    error = format!("{error:#}"),
                    retry_in_ms = backoff.as_millis() as u64,
                    "spool publisher interrupted; items stay spooled"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
        publisher
    }
}

impl Publisher {
    async fn session(
        &self,
        broker: &BrokerSettings,
        settings: &SpoolSettings,
    ) -> anyhow::Result<()> {
        let connection = deadline::broker(
            "spool publisher cannot reach the broker",
            Connection::connect(broker.url.expose(), ConnectionProperties::default()),
        )
        .await?;
        let channel = deadline::broker("open a channel", connection.create_channel()).await?;
        let confirms = channel.confirm_select(ConfirmSelectOptions::default());
        deadline::broker("enable publisher confirms", confirms).await?;
        deadline::broker(
            "cannot declare the topology",
            crate::topology::declare(&channel, broker),
        )
        .await?;
        tracing::info!(exchange = %broker.exchange, "spool publisher connected");
        loop {
            if !connection.status().connected() {
                anyhow::bail!("the broker connection was lost");
            }
            // Each tick publishes what waited for it: full batches, then
            // the rest; what arrives meanwhile waits for the next tick, so
            // a batch holds a flush interval's items, not a round trip's.
            for drain in self.drains.iter() {
                while let Some((event_id, body, items)) = drain.unconfirmed(settings.batch) {
                    let properties = crate::relay::properties(
                        event_id,
                        drain.event_type(),
                        chrono::Utc::now(),
                        None,
                    );
                    let sent = async {
                        let publish = channel.basic_publish(
                            broker.exchange.as_str().into(),
                            drain.event_type().into(),
                            BasicPublishOptions {
                                mandatory: true,
                                ..BasicPublishOptions::default()
                            },
                            &body,
                            properties,
                        );
                        let confirm = deadline::broker("publish", publish).await?;
                        match deadline::broker("publisher confirm", confirm).await? {
                            Confirmation::Ack(None) => Ok(()),
                            Confirmation::Ack(Some(_)) => {
                                anyhow::bail!("a batch was unroutable (no queue bound)")
                            }
                            Confirmation::Nack(_) => anyhow::bail!("the broker refused a batch"),
                            Confirmation::NotRequested => {
                                anyhow::bail!("publisher confirms are not enabled")
                            }
                        }
                    }
                    .await;
                    sent?;
                    drain.confirmed(event_id);
                    if items < settings.batch {
                        break;
                    }
                }
            }
            tokio::time::sleep(settings.flush_every).await;
        }
    }

    /// Waits until every spool is published and confirmed, or `within` has
    /// passed; `false` if something was left (a graceful exit's last step).
    pub async fn flush(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if self.drains.iter().all(|d| d.is_empty()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Device;
    use gridlink_ids::{LinkSlug, UserId};

    fn visit(visitor: &str, at: &str, link: &LinkSlug, owner: &UserId) -> Visit {
        Visit {
            at: at.parse().unwrap(),
            owner: owner.clone(),
            grid: None,
            link: Some(link.clone()),
            visitor: visitor.to_owned(),
            source: None,
            referrer: None,
            device: Device::Desktop,
            count: 1,
        }
    }

    #[test]
    fn a_visitor_s_repeats_in_a_quarter_hour_travel_as_one_and_nothing_is_lost() {
        let (link, owner) = (LinkSlug::generate(), UserId::generate());
        let visits = vec![
            visit("a", "2026-12-01T10:00:01Z", &link, &owner),
            visit("b", "2026-12-01T10:00:02Z", &link, &owner),
            visit("a", "2026-12-01T10:14:59Z", &link, &owner),
            visit("a", "2026-12-01T10:15:00Z", &link, &owner),
        ];
        let batch = LinksClicked::of(visits);
        let counts: Vec<(&str, u32, String)> = batch
            .visits
            .iter()
            .map(|v| (v.visitor.as_str(), v.count, v.at.to_rfc3339()))
            .collect();
        assert_eq!(
            counts,
            [
                ("a", 2, "2026-12-01T10:00:01+00:00".to_owned()),
                ("b", 1, "2026-12-01T10:00:02+00:00".to_owned()),
                ("a", 1, "2026-12-01T10:15:00+00:00".to_owned()),
            ]
        );
        let wire = serde_json::to_value(&batch).unwrap();
        assert!(
            wire["visits"][1].get("count").is_none(),
            "a single visit says no count"
        );
    }

    #[test]
    fn past_its_bound_the_spool_refuses_and_counts() {
        let registry = Registry::new();
        let settings = SpoolSettings {
            max_items: 2,
            batch: 10,
            flush_every: Duration::from_millis(10),
        };
        let spool: Spool<LinksClicked> = Spool::new(&settings, SpoolMetrics::register(&registry));
        let (link, owner) = (LinkSlug::generate(), UserId::generate());
        let v = || visit("a", "2026-12-01T10:00:00Z", &link, &owner);
        assert!(spool.push(v()));
        assert!(spool.push(v()));
        assert!(!spool.push(v()), "the third is refused");
        let dropped = registry
            .gather()
            .into_iter()
            .find(|family| family.name() == "spool_dropped_total")
            .unwrap();
        assert_eq!(dropped.get_metric()[0].get_counter().get_value(), 1.0);
        let (id, body, items) = spool.unconfirmed(10).expect("a batch");
        assert_eq!(items, 2, "both visits are in it (as one entry)");
        let again = spool
            .unconfirmed(10)
            .expect("the same batch until confirmed");
        assert_eq!((id, body.len()), (again.0, again.1.len()));
        spool.confirmed(id);
        assert!(spool.is_empty());
    }
}
