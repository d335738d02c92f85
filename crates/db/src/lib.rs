//! PostgreSQL access shared by the services: a diesel-async pool with explicit
//! timeouts, the database layer's error type, transactions as objects,
//! embedded migrations that are safe with several replicas starting at once,
//! and a readiness ping.

use std::time::Duration;

use anyhow::Context;
use deadpool::Runtime;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::InstrumentationEvent;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use gridlink_config::{ConfigError, Secret};

mod error;
mod migrate;
mod prepared;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;

pub use error::DbError;
pub use migrate::{Migrations, run_migrations};
pub use prepared::{Prepared, prepared};
pub use tx::Tx;

pub type PgPool = Pool<AsyncPgConnection>;
pub use diesel_async::pooled_connection::deadpool::{Object as PooledConnection, PoolError};

/// Pool sizing and timeouts, from the environment.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// `DATABASE_POOL_SIZE`: connections per replica. Two cores serve best with
    /// a small pool; queuing in the pool is cheaper than in PostgreSQL.
    pub max_size: usize,
    /// `DATABASE_POOL_TIMEOUT_MS`: how long a request waits for a connection
    /// before it is answered 503, so an overloaded database sheds load fast.
    pub wait_timeout: Duration,
    /// `DATABASE_CONNECT_TIMEOUT_MS`: bound on opening a new connection, so an
    /// unreachable server is noticed instead of hanging requests.
    pub connect_timeout: Duration,
}

impl PoolSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            max_size: gridlink_config::parse("DATABASE_POOL_SIZE", 16)?,
            wait_timeout: Duration::from_millis(gridlink_config::parse(
                "DATABASE_POOL_TIMEOUT_MS",
                2_000,
            )?),
            connect_timeout: Duration::from_millis(gridlink_config::parse(
                "DATABASE_CONNECT_TIMEOUT_MS",
                3_000,
            )?),
        })
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// Counts the SQL statements run through one pool, so tests and benchmarks can
/// see exactly how many statements a request costs.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        AtomicU64::load(&self.0, Ordering::Relaxed)
    }
}

/// A service's database: its pool and the pool's statement counter.
#[derive(Clone)]
pub struct Database {
    pub pool: PgPool,
    pub statements: StatementCounter,
}

impl Database {
    /// A pooled connection, or `Unavailable` once the pool's wait is over.
    pub async fn conn(&self) -> Result<PooledConnection<AsyncPgConnection>, DbError> {
        Ok(self.pool.get().await?)
    }

    /// Begins a transaction on a pooled connection.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Tx::begin(self.conn().await?).await
    }
}

/// Builds the pool. No connection is opened until the first request needs one,
/// so a service starts (and reports not-ready) while its database is down.
pub fn build_pool(url: &Secret, settings: &PoolSettings) -> anyhow::Result<Database> {
    let statements = StatementCounter::default();
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    // The default ("Verified") runs `SELECT 1` on every checkout: a round trip
    // per request. Connections that failed are marked broken and dropped anyway.
    manager_config.recycling_method = RecyclingMethod::Fast;
    let counter = statements.clone();
    manager_config.custom_setup = Box::new(move |url| {
        let counter = counter.clone();
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { .. } = event {
                    counter.0.fetch_add(1, Ordering::Relaxed);
                }
            });
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        url.expose(),
        manager_config,
    );
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .context("database pool configuration is invalid")?;
    Ok(Database { pool, statements })
}

/// `SELECT 1` through the pool: the readiness check.
pub async fn ping(pool: &PgPool) -> Result<(), String> {
    let mut conn = pool.get().await.map_err(|e| match e {
        PoolError::Timeout(_) => "database unreachable (timeout)".to_owned(),
        _ => "database unreachable".to_owned(),
    })?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|_| "database query failed".to_owned())?;
    Ok(())
}

/// Opens one connection outside any pool (tools, tests).
pub async fn connect(url: &Secret) -> anyhow::Result<AsyncPgConnection> {
    AsyncPgConnection::establish(url.expose())
        .await
        .context("could not connect to the database")
}
