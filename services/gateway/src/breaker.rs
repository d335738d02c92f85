//! A circuit breaker per upstream. After `threshold` consecutive failures
//! (unreachable, timed out, or 502/503/504) the circuit opens: requests are
//! answered 503 at once for `open_for`. Then one probe is let through; its
//! success closes the circuit, its failure opens it again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
        }
    }

    /// `Err(retry_after)` while the circuit is open.
    pub fn admit(&self) -> Result<(), Duration> {
        let mut state = self.state.lock().expect("breaker lock is never poisoned");
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    *state = State::HalfOpen { probing: true };
                    Ok(())
                } else {
                    Err(until - now)
                }
            }
            State::HalfOpen { probing: true } => Err(Duration::from_secs(1)),
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(())
            }
        }
    }

    pub fn record(&self, success: bool) {
        let mut state = self.state.lock().expect("breaker lock is never poisoned");
        *state = match (&*state, success) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: Instant::now() + self.open_for,
            },
        };
    }

    /// 0 closed, 1 half-open, 2 open (the `gateway_circuit_state` gauge).
    pub fn level(&self) -> i64 {
        match *self.state.lock().expect("breaker lock is never poisoned") {
            State::Closed { .. } => 0,
            State::HalfOpen { .. } => 1,
            State::Open { .. } => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_probes_after_the_pause() {
        let breaker = Breaker::new(3, Duration::from_millis(50));
        for _ in 0..2 {
            breaker.record(false);
        }
        assert!(breaker.admit().is_ok(), "still closed below the threshold");
        breaker.record(false);
        assert!(breaker.admit().is_err(), "open after three failures");
        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.admit().is_ok(), "one probe after the pause");
        assert!(breaker.admit().is_err(), "only one probe at a time");
        breaker.record(true);
        assert!(breaker.admit().is_ok(), "closed again after a good probe");
    }

    #[test]
    fn a_failed_probe_opens_the_circuit_again() {
        let breaker = Breaker::new(1, Duration::from_millis(20));
        breaker.record(false);
        std::thread::sleep(Duration::from_millis(30));
        assert!(breaker.admit().is_ok());
        breaker.record(false);
        assert!(breaker.admit().is_err());
    }
}
