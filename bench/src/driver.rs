//! Runs one scenario for a fixed time and records every request's latency.
//!
//! Closed loop (the default): `concurrency` workers each send their next
//! request as soon as the previous one is answered. Open loop (`rate`): request
//! `i` is due at `start + i / rate`; a free worker takes the next due request
//! and its latency is counted from when it was due, so a stalled server shows
//! up as queueing delay instead of being hidden by fewer requests sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use crate::scenarios::{Scenario, Worker};

#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub concurrency: usize,
    pub duration: Duration,
    /// Requests per second for an open loop; `None` for a closed loop.
    pub rate: Option<f64>,
}

pub struct Measurement {
    pub requests: u64,
    pub errors: u64,
    /// Errors that were 5xx answers or no answer at all.
    pub server_errors: u64,
    /// What went wrong, and how often.
    pub failures: Failures,
    pub elapsed: Duration,
    /// Microseconds.
    pub latency: Histogram<u64>,
}

impl Measurement {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

/// Failed requests counted by what went wrong (status, route and the
/// problem's detail), so a report says which answers were wrong, not only
/// how many. Past [`Failures::DISTINCT`] kinds, new ones count as "other".
#[derive(Debug, Default, Clone)]
pub struct Failures(BTreeMap<String, u64>);

impl Failures {
    const DISTINCT: usize = 20;
    const OTHER: &str = "(other failures)";

    fn count(&mut self, what: String, times: u64) {
        let key = if self.0.len() < Self::DISTINCT || self.0.contains_key(&what) {
            what
        } else {
            Self::OTHER.to_owned()
        };
        *self.0.entry(key).or_default() += times;
    }

    fn merge(&mut self, other: Failures) {
        for (what, times) in other.0 {
            self.count(what, times);
        }
    }

    /// The kinds of failure, most frequent first.
    pub fn most_frequent(&self) -> Vec<(&str, u64)> {
        let mut kinds: Vec<_> = self.0.iter().map(|(w, n)| (w.as_str(), *n)).collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kinds
    }
}

/// One worker's share, merged at the end.
struct Tally {
    requests: u64,
    errors: u64,
    server_errors: u64,
    failures: Failures,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Self {
            requests: 0,
            errors: 0,
            server_errors: 0,
            failures: Failures::default(),
            latency: histogram(),
        }
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s at three significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("static histogram bounds are valid")
}

struct Schedule {
    start: Instant,
    end: Instant,
    rate: Option<f64>,
    next: AtomicU64,
}

impl Schedule {
    /// When the worker's next request is due, or `None` once time is up.
    async fn next(&self) -> Option<Instant> {
        let due = match self.rate {
            None => Instant::now(),
            Some(rate) => {
                let i = self.next.fetch_add(1, Ordering::Relaxed);
                let due = self.start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due).await;
                due
            }
        };
        (due < self.end).then_some(due)
    }
}

/// Runs `load` with one task per worker, and hands the workers back (with
/// their accounts still signed in) for the next run.
pub async fn run(
    scenario: Arc<Scenario>,
    workers: Vec<Worker>,
    load: Load,
) -> (Measurement, Vec<Worker>) {
    let start = Instant::now();
    let schedule = Arc::new(Schedule {
        start,
        end: start + load.duration,
        rate: load.rate,
        next: AtomicU64::new(0),
    });
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            let (scenario, schedule) = (scenario.clone(), schedule.clone());
            tokio::spawn(async move {
                let mut tally = Tally::new();
                while let Some(due) = schedule.next().await {
                    let outcome = scenario.call(&mut worker).await;
                    let took = worker.measured.take().unwrap_or_else(|| due.elapsed());
                    let micros = took.as_micros().max(1) as u64;
                    tally.latency.saturating_record(micros);
                    tally.requests += 1;
                    if let Err(failure) = outcome {
                        tally.errors += 1;
                        tally.server_errors += u64::from(failure.server_side());
                        tally.failures.count(failure.what, 1);
                    }
                }
                (tally, worker)
            })
        })
        .collect();

    let mut total = Tally::new();
    let mut workers_back = Vec::with_capacity(load.concurrency);
    for task in tasks {
        let (tally, worker) = task.await.expect("a benchmark worker panicked");
        workers_back.push(worker);
        total.requests += tally.requests;
        total.errors += tally.errors;
        total.server_errors += tally.server_errors;
        total.failures.merge(tally.failures);
        total
            .latency
            .add(&tally.latency)
            .expect("histograms with the same bounds merge");
    }
    let measurement = Measurement {
        requests: total.requests,
        errors: total.errors,
        server_errors: total.server_errors,
        failures: total.failures,
        elapsed: start.elapsed(),
        latency: total.latency,
    };
    (measurement, workers_back)
}
