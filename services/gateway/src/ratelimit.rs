//! Rate limits with GCRA (the generic cell rate algorithm): each key may spend
//! `limit` requests per `window`, refilled smoothly. State is a single
//! "theoretical arrival time" per key, in microseconds (so a budget of more
//! than one request per millisecond is kept, not rounded down to it): in this
//! process by default, or in Redis (`REDIS_URL`) so every gateway replica
//! shares the same budget. If Redis fails, the limiter falls back to its
//! local state rather than failing open.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::worker_redis::WorkerRedis;

/// A budget: `limit` requests per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
}

impl Quota {
    fn interval_us(&self) -> u64 {
        (self.window.as_micros() as u64 / u64::from(self.limit.max(1))).max(1)
    }

    fn window_us(&self) -> u64 {
        self.window.as_micros() as u64
    }
}

/// The outcome of one request against a quota.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    /// Requests left in the window.
    pub remaining: u32,
    /// Seconds until the budget is full again (allowed) or until the next
    /// request will be (refused).
    pub reset_secs: u64,
}

const MICROS: u64 = 1_000_000;

fn decide(quota: Quota, tat_us: u64, now_us: u64) -> (Decision, Option<u64>) {
    let (interval, window) = (quota.interval_us(), quota.window_us());
    let tat = tat_us.max(now_us);
    let new_tat = tat + interval;
    if new_tat - now_us > window {
        let retry = (new_tat - now_us - window).div_ceil(MICROS).max(1);
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset_secs: retry,
        };
        return (decision, None);
    }
    let used = new_tat - now_us;
    let decision = Decision {
        allowed: true,
        remaining: ((window - used) / interval) as u32,
        reset_secs: used.div_ceil(MICROS),
    };
    (decision, Some(new_tat))
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// GCRA in Redis, atomically, on Redis' own clock (replicas may disagree on time).
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > window then
  return {0, new_tat - now - window}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, new_tat - now}
"#;

/// The longest a shared check may take before the local state decides.
const REDIS_BUDGET: std::time::Duration = std::time::Duration::from_millis(100);

pub struct RateLimiter {
    local: Mutex<HashMap<String, u64>>,
    redis: Option<(WorkerRedis, redis::Script)>,
    prefix: String,
}

impl RateLimiter {
    pub fn in_memory() -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            redis: None,
            prefix: String::new(),
        }
    }

    /// Shares state through `redis`; keys start with `prefix`.
    pub fn with_redis(redis: WorkerRedis, prefix: &str) -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            redis: Some((redis, redis::Script::new(SCRIPT))),
            prefix: prefix.to_owned(),
        }
    }

    pub async fn check(&self, key: &str, quota: Quota) -> Decision {
        if let Some((redis, script)) = &self.redis {
            let mut connection = redis.connection();
            let mut invocation = script.prepare_invoke();
            invocation
                // `us:`: the unit of what is stored, which was milliseconds.
                .key(format!("{}us:{key}", self.prefix))
                .arg(quota.interval_us())
                .arg(quota.window_us());
            let checked = invocation.invoke_async::<(i64, i64)>(&mut connection);
            // A store that does not answer in time is a store that is down.
            match tokio::time::timeout(REDIS_BUDGET, checked).await {
                Ok(Ok((1, used))) => {
                    let used = used.max(0) as u64;
                    return Decision {
                        allowed: true,
                        remaining: ((quota.window_us().saturating_sub(used)) / quota.interval_us())
                            as u32,
                        reset_secs: used.div_ceil(MICROS),
                    };
                }
                Ok(Ok((_, retry))) => {
                    return Decision {
                        allowed: false,
                        remaining: 0,
                        reset_secs: (retry.max(0) as u64).div_ceil(MICROS).max(1),
                    };
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "rate limit store unavailable; using local state")
                }
                Err(_) => tracing::warn!("rate limit store too slow; using local state"),
            }
        }
        self.check_local(key, quota, now_us())
    }

    fn check_local(&self, key: &str, quota: Quota, now: u64) -> Decision {
        let mut state = self
            .local
            .lock()
            .expect("rate limit lock is never poisoned");
        if state.len() > 100_000 {
            state.retain(|_, tat| *tat > now);
        }
        let tat = state.get(key).copied().unwrap_or(now);
        let (decision, new_tat) = decide(quota, tat, now);
        if let Some(new_tat) = new_tat {
            state.insert(key.to_owned(), new_tat);
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTA: Quota = Quota {
        limit: 10,
        window: Duration::from_secs(10),
    };

    #[test]
    fn a_burst_up_to_the_limit_passes_then_requests_are_refused() {
        let limiter = RateLimiter::in_memory();
        let now = 1_000_000_000;
        for i in 0..10 {
            let d = limiter.check_local("k", QUOTA, now);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 9 - i);
        }
        let refused = limiter.check_local("k", QUOTA, now);
        assert!(!refused.allowed);
        assert_eq!(refused.reset_secs, 1, "one interval until the next request");
        assert!(
            limiter.check_local("other", QUOTA, now).allowed,
            "keys are independent"
        );
    }

    #[test]
    fn the_budget_refills_smoothly() {
        let limiter = RateLimiter::in_memory();
        let now = 1_000_000_000;
        for _ in 0..10 {
            limiter.check_local("k", QUOTA, now);
        }
        assert!(!limiter.check_local("k", QUOTA, now + 500_000).allowed);
        assert!(
            limiter.check_local("k", QUOTA, now + MICROS).allowed,
            "one request per second comes back"
        );
        assert!(!limiter.check_local("k", QUOTA, now + MICROS).allowed);
    }

    #[test]
    fn a_budget_finer_than_a_millisecond_is_kept() {
        // 6,000,000 a minute: 100 a millisecond, 100,000 a second.
        let quota = Quota {
            limit: 6_000_000,
            window: Duration::from_secs(60),
        };
        let limiter = RateLimiter::in_memory();
        let now = 1_000_000_000;
        // A burst of 100,000 at once: rounding the interval up to a
        // millisecond would cap the burst at 60,000.
        for i in 0..100_000 {
            assert!(limiter.check_local("k", quota, now).allowed, "request {i}");
        }
        let last = limiter.check_local("k", quota, now);
        assert_eq!(last.remaining, 6_000_000 - 100_001);
    }
}
