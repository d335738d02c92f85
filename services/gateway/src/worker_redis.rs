//! The gateway's Redis connections: each HTTP worker thread opens its own,
//! so that a request's Redis commands (its rate limit, its page) are written
//! and answered on the thread that serves it. A connection shared by every
//! worker is driven by a task on another thread, and then each command costs
//! two wake-ups across threads: under load that was an eighth of the
//! gateway's CPU, most of it switching threads.
//!
//! A thread without its own connection (a worker just started, or one that
//! found Redis away when it started, and anything off the workers such as
//! the event consumers) uses the connection the gateway started with. Every
//! connection reconnects by itself.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use redis::aio::ConnectionManager;

/// Tells apart the gateways of one process (the tests run several).
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's own connections, by the id of their gateway's handle.
    static OWN: RefCell<Vec<(usize, ConnectionManager)>> = const { RefCell::new(Vec::new()) };
}

/// One Redis, reached through the calling thread's own connection when it
/// has one. Cheap to clone.
#[derive(Clone)]
pub struct WorkerRedis {
    inner: Arc<Inner>,
}

struct Inner {
    id: usize,
    client: redis::Client,
    shared: ConnectionManager,
}

impl WorkerRedis {
    /// Connects to the Redis at `url` (the shared connection; it must
    /// answer now).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let shared = ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                client,
                shared,
            }),
        })
    }

    /// The connection to use on this thread.
    pub fn connection(&self) -> ConnectionManager {
        let id = self.inner.id;
        OWN.with_borrow(|own| {
            own.iter()
                .find(|(owner, _)| *owner == id)
                .map(|(_, connection)| connection.clone())
        })
        .unwrap_or_else(|| self.inner.shared.clone())
    }

    /// Opens this thread's own connection in the background, on the
    /// thread's runtime (which then drives it). Called once per HTTP
    /// worker, as it starts.
    pub fn open_for_this_worker(&self) {
        let inner = Arc::clone(&self.inner);
        actix_web::rt::spawn(async move {
            match ConnectionManager::new(inner.client.clone()).await {
                Ok(connection) => OWN.with_borrow_mut(|own| {
                    if !own.iter().any(|(owner, _)| *owner == inner.id) {
                        own.push((inner.id, connection));
                    }
                }),
                Err(error) => tracing::warn!(
                    %error,
                    "this worker's own Redis connection could not be opened; it shares the gateway's"
                ),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    async fn client_id(connection: &mut ConnectionManager) -> i64 {
        redis::cmd("CLIENT")
            .arg("ID")
            .query_async(connection)
            .await
            .unwrap()
    }

    #[actix_web::test]
    async fn a_worker_talks_over_its_own_connection_once_it_is_open() {
        let redis = WorkerRedis::connect(&url()).await.unwrap();
        let shared = client_id(&mut redis.connection()).await;
        redis.open_for_this_worker();
        let started = std::time::Instant::now();
        let own = loop {
            let id = client_id(&mut redis.connection()).await;
            if id != shared {
                break id;
            }
            assert!(started.elapsed().as_secs() < 5, "no own connection");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert_eq!(client_id(&mut redis.connection()).await, own);
        let elsewhere = redis.clone();
        // Another thread, whose runtime drives nothing of this gateway's.
        let other_thread = tokio::task::spawn_blocking(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move { client_id(&mut elsewhere.connection()).await })
        });
        assert_eq!(
            other_thread.await.unwrap(),
            shared,
            "another thread shares the gateway's connection"
        );
    }
}
