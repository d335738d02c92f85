//! A circuit breaker per upstream. After `threshold` consecutive failures
//! (unreachable, timed out, or 502/503/504) the circuit opens: requests are
//! answered 503 at once for `open_for`. Then one probe is let through; its
//! success closes the circuit, its failure opens it again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus::IntGauge;

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    open_for: Duration,
    /// 0 closed, 1 half-open, 2 open (the `gateway_circuit_state` gauge).
    gauge: IntGauge,
}

/// Leave to make one call. Give its verdict with [`Permit::record`]; a permit
/// dropped without one (the caller gave up, the client left) counts as no
/// call at all, so an abandoned probe cannot keep the circuit half-open.
#[must_use = "record the call's outcome"]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    recorded: bool,
}

impl Permit<'_> {
    pub fn record(mut self, success: bool) {
        self.recorded = true;
        self.breaker.record(success);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.recorded {
            self.breaker.release_probe();
        }
    }
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration, gauge: IntGauge) -> Self {
        gauge.set(0);
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
            gauge,
        }
    }

    /// `Err(retry_after)` while the circuit is open.
    pub fn admit(&self) -> Result<Permit<'_>, Duration> {
        let mut state = self.lock();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    return Err(until - now);
                }
                true
            }
            State::HalfOpen { probing: true } => return Err(Duration::from_secs(1)),
            State::HalfOpen { probing: false } => true,
        };
        if probe {
            self.set(&mut state, State::HalfOpen { probing: true });
        }
        Ok(Permit {
            breaker: self,
            probe,
            recorded: false,
        })
    }

    fn record(&self, success: bool) {
        let mut state = self.lock();
        let next = match (&*state, success) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: Instant::now() + self.open_for,
            },
        };
        self.set(&mut state, next);
    }

    fn release_probe(&self) {
        let mut state = self.lock();
        if matches!(*state, State::HalfOpen { probing: true }) {
            self.set(&mut state, State::HalfOpen { probing: false });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("breaker lock is never poisoned")
    }

    fn set(&self, state: &mut State, next: State) {
        self.gauge.set(match next {
            State::Closed { .. } => 0,
            State::HalfOpen { .. } => 1,
            State::Open { .. } => 2,
        });
        *state = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(threshold: u32, open_for: Duration) -> Breaker {
        let gauge = IntGauge::new("circuit", "test").unwrap();
        Breaker::new(threshold, open_for, gauge)
    }

    fn fail(breaker: &Breaker) {
        breaker.admit().expect("admitted").record(false);
    }

    #[test]
    fn opens_after_the_threshold_and_probes_after_the_pause() {
        let breaker = breaker(3, Duration::from_millis(50));
        for _ in 0..2 {
            fail(&breaker);
        }
        assert!(breaker.admit().is_ok(), "still closed below the threshold");
        fail(&breaker);
        assert!(breaker.admit().is_err(), "open after three failures");
        assert_eq!(breaker.gauge.get(), 2);
        std::thread::sleep(Duration::from_millis(60));
        let probe = breaker.admit().expect("one probe after the pause");
        assert_eq!(breaker.gauge.get(), 1);
        assert!(breaker.admit().is_err(), "only one probe at a time");
        probe.record(true);
        assert!(breaker.admit().is_ok(), "closed again after a good probe");
        assert_eq!(breaker.gauge.get(), 0);
    }

    #[test]
    fn a_failed_probe_opens_the_circuit_again() {
        let breaker = breaker(1, Duration::from_millis(20));
        fail(&breaker);
        std::thread::sleep(Duration::from_millis(30));
        fail(&breaker);
        assert!(breaker.admit().is_err());
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_request_probe() {
        let breaker = breaker(1, Duration::from_millis(20));
        fail(&breaker);
        std::thread::sleep(Duration::from_millis(30));
        drop(breaker.admit().expect("the probe"));
        let probe = breaker.admit().expect("a new probe, not a stuck circuit");
        probe.record(true);
        assert!(breaker.admit().is_ok());
    }

    #[test]
    fn an_abandoned_call_while_closed_changes_nothing() {
        let breaker = breaker(2, Duration::from_secs(60));
        fail(&breaker);
        drop(breaker.admit().expect("closed"));
        fail(&breaker);
        assert!(breaker.admit().is_err(), "two recorded failures open it");
    }
}
