//! Waiting for a busy object without holding a database connection.
//!
//! Writes that serialise on one object (the links of one grid) would each
//! take a pooled connection and then wait for the object's lock in the
//! database, so one user hammering one object could empty the pool for
//! everyone. A [`Gates`] makes them queue in the process instead, one at a
//! time per key, for a bounded time and in bounded numbers; whoever cannot
//! get in is told the object is busy. The database lock stays the guard
//! between replicas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The object stayed busy: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("another change to the same object is in progress")]
pub struct Busy;

/// One gate per key, made on first use and dropped when nobody is in it or
/// waiting for it.
pub struct Gates {
    open: Mutex<HashMap<String, Gate>>,
    wait: Duration,
    max_waiting: usize,
}

struct Gate {
    turn: Arc<Semaphore>,
    /// Writers inside (at most one) or waiting.
    writers: usize,
}

impl Gates {
    /// Writers wait at most `wait` to get in, and at most `max_waiting` of
    /// them wait per key; others are [`Busy`] at once.
    pub fn new(wait: Duration, max_waiting: usize) -> Self {
        Self {
            open: Mutex::new(HashMap::new()),
            wait,
            max_waiting,
        }
    }

    pub fn wait(&self) -> Duration {
        self.wait
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<String, Gate>> {
        self.open.lock().expect("the gates' lock is never poisoned")
    }

    /// Waits for the gate of `key`; the guard lets the next writer in when dropped.
    pub async fn enter(&self, key: &str) -> Result<GateGuard<'_>, Busy> {
        let turn = {
            let mut open = self.open();
            let gate = open.entry(key.to_owned()).or_insert_with(|| Gate {
                turn: Arc::new(Semaphore::new(1)),
                writers: 0,
            });
            if gate.writers > self.max_waiting {
                return Err(Busy);
            }
            gate.writers += 1;
            Arc::clone(&gate.turn)
        };
        // Counted from here, so a writer that gives up is forgotten like one
        // that got in.
        let mut guard = GateGuard {
            gates: self,
            key: key.to_owned(),
            permit: None,
        };
        let permit = tokio::time::timeout(self.wait, turn.acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        guard.permit = Some(permit);
        Ok(guard)
    }

    /// Keys with a gate right now (writers in or waiting).
    pub fn len(&self) -> usize {
        self.open().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Being through a gate (or waiting at it); dropping it lets the next writer in.
pub struct GateGuard<'a> {
    gates: &'a Gates,
    key: String,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut open = self.gates.open();
        if let Some(gate) = open.get_mut(&self.key) {
            gate.writers -= 1;
            if gate.writers == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_writer_at_a_time_per_key_and_the_others_wait_a_bounded_time() {
        let gates = Gates::new(Duration::from_millis(50), 8);
        let first = gates.enter("grid").await.unwrap();
        assert!(gates.enter("other").await.is_ok(), "other keys never wait");
        let started = std::time::Instant::now();
        assert_eq!(gates.enter("grid").await.err(), Some(Busy));
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(first);
        assert!(gates.enter("grid").await.is_ok(), "the next one gets in");
        assert!(gates.is_empty(), "unused gates are forgotten");
    }

    #[tokio::test]
    async fn past_the_queue_bound_a_writer_is_busy_at_once() {
        let gates = Arc::new(Gates::new(Duration::from_secs(5), 2));
        let _inside = gates.enter("grid").await.unwrap();
        let mut waiting = Vec::new();
        for _ in 0..2 {
            let gates = Arc::clone(&gates);
            waiting.push(tokio::spawn(async move {
                gates.enter("grid").await.map(|_| ())
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = std::time::Instant::now();
        assert_eq!(gates.enter("grid").await.err(), Some(Busy));
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "no wait past the bound"
        );
        for task in waiting {
            task.abort();
        }
    }
}
