//! A request-scoped cache: within one incoming request, the same remote object
//! is fetched at most once, however many code paths ask for it.

use std::collections::HashMap;
use std::hash::Hash;

/// Create one per incoming request and drop it with the request.
pub struct Memo<K, V> {
    entries: tokio::sync::Mutex<HashMap<K, V>>,
}

impl<K: Eq + Hash, V: Clone> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            entries: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// The cached value for `key`, or the result of `fetch`, cached when it
    /// succeeds. Concurrent asks for one key wait for a single fetch.
    pub async fn get_or_fetch<E, Fut>(&self, key: K, fetch: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let mut entries = self.entries.lock().await;
        if let Some(value) = entries.get(&key) {
            return Ok(value.clone());
        }
        let value = fetch().await?;
        entries.insert(key, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn the_same_key_is_fetched_once() {
        let memo: Memo<&str, u32> = Memo::default();
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let value = memo
                .get_or_fetch("a", || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(7)
                })
                .await
                .unwrap();
            assert_eq!(value, 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let memo: Memo<&str, u32> = Memo::default();
        assert!(
            memo.get_or_fetch("a", || async { Err::<u32, _>("down") })
                .await
                .is_err()
        );
        assert_eq!(
            memo.get_or_fetch("a", || async { Ok::<_, ()>(1) }).await,
            Ok(1)
        );
    }
}
