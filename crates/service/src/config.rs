//! The settings every service has, from the environment: where it listens,
//! its database, its broker, and the service tokens it accepts.

use std::net::SocketAddr;

use gridlink_config::{ConfigError, Secret};
use gridlink_db::PoolSettings;
use gridlink_events::BrokerSettings;
use gridlink_service_auth::ServiceTokens;

use crate::Spec;

/// Where a service listens and with how many workers.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `<NAME>_ADDR`: the API and the probes (`/healthz`, `/readyz`).
    pub addr: SocketAddr,
    /// `ADMIN_ADDR`: `/metrics` (and the probes again), never routed by the
    /// gateway; only Prometheus should reach it.
    pub admin_addr: SocketAddr,
    /// `HTTP_WORKERS`: request worker threads (default: one per core).
    pub workers: usize,
}

impl HttpSettings {
    pub fn from_env(spec: &Spec) -> Result<Self, ConfigError> {
        let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Ok(Self {
            addr: gridlink_config::parse(&spec.addr_var(), local(spec.port))?,
            admin_addr: gridlink_config::parse("ADMIN_ADDR", local(spec.admin_port))?,
            workers: gridlink_config::parse(
                "HTTP_WORKERS",
                std::thread::available_parallelism().map_or(2, usize::from),
            )?,
        })
    }
}

/// A service's own database.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `DATABASE_URL` (default: `gridlink_<name>` on the local server).
    pub url: Secret,
    pub pool: PoolSettings,
}

/// What the kit needs to run a service.
#[derive(Debug, Clone)]
pub struct KitConfig {
    pub http: HttpSettings,
    /// `None` for a service without a database (the gateway).
    pub database: Option<DatabaseSettings>,
    /// The broker (`AMQP_URL`, `EVENTS_*`); `None` runs without events
    /// (tests). A service with a database publishes and consumes through it;
    /// every service follows revoked sessions on it.
    pub events: Option<BrokerSettings>,
    /// `INTERNAL_TOKENS`: who may call the `/internal` routes.
    pub internal_tokens: ServiceTokens,
}

impl KitConfig {
    pub fn from_env(spec: &Spec) -> Result<Self, ConfigError> {
        let database = match spec.migrations {
            Some(_) => Some(DatabaseSettings {
                url: gridlink_config::database_url(spec.name),
                pool: PoolSettings::from_env()?,
            }),
            None => None,
        };
        Ok(Self {
            http: HttpSettings::from_env(spec)?,
            events: Some(BrokerSettings::from_env()?),
            database,
            internal_tokens: ServiceTokens::from_env()?,
        })
    }

    pub fn database_url(&self) -> Option<&Secret> {
        self.database.as_ref().map(|d| &d.url)
    }
}
