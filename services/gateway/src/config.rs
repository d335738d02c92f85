//! The gateway's settings, all from the environment.

use std::time::Duration;

use gridlink_access_token::TokenAudience;
use gridlink_config::{ConfigError, parse};
use gridlink_events::spool::SpoolSettings;
use gridlink_http::TrustedProxies;
use gridlink_rest_client::ClientSettings;
use gridlink_service::KitConfig;

pub use crate::page_cache::CacheSettings;
pub use crate::ratelimit::Quota;
use crate::routes::Group;

#[derive(Debug, Clone)]
pub struct Config {
    /// `GATEWAY_ADDR` (default 127.0.0.1:8080), `ADMIN_ADDR` (9080) and
    /// `HTTP_WORKERS`.
    pub kit: KitConfig,
    /// `AUTH_URL`, `AUTH_TIMEOUT_MS` (default 10 s: logins queue for hashing).
    pub auth: ClientSettings,
    /// `GRIDS_URL`, `GRIDS_TIMEOUT_MS` (default 3 s).
    pub grids: ClientSettings,
    /// `LINKS_URL`, `LINKS_TIMEOUT_MS` (default 3 s).
    pub links: ClientSettings,
    /// `ANALYTICS_URL`, `ANALYTICS_TIMEOUT_MS` (default 10 s: exports).
    pub analytics: ClientSettings,
    /// How visits wait for the broker: `SPOOL_MAX_ITEMS`, `SPOOL_BATCH`,
    /// `SPOOL_FLUSH_MS`.
    pub spool: SpoolSettings,
    pub tokens: TokenAudience,
    /// `TRUSTED_PROXIES`: whose X-Forwarded-For names the client.
    pub trusted_proxies: TrustedProxies,
    /// `RATE_LIMIT_ANONYMOUS_PER_MINUTE` per client IP (default 600).
    pub anonymous: Quota,
    /// `RATE_LIMIT_USER_PER_MINUTE` per signed-in user (default 1200).
    pub users: Quota,
    /// `RATE_LIMIT_AUTH_PER_MINUTE`, `RATE_LIMIT_READS_PER_MINUTE`,
    /// `RATE_LIMIT_WRITES_PER_MINUTE`: a group's own budget per caller, spent
    /// besides the caller's; unset, a group has none of its own.
    pub groups: GroupQuotas,
    /// `REDIS_URL`: share rate limits between replicas (unset: in memory).
    pub redis_url: Option<String>,
    /// `RATE_LIMIT_PREFIX`: Redis key prefix (default `gridlink:ratelimit:`).
    pub redis_prefix: String,
    /// The visitors' page cache (in Redis at `REDIS_URL`; off without it).
    pub pages: CacheSettings,
    /// `PUBLIC_BASE_URL` (default `http://127.0.0.1:8080`): the public
    /// site's origin; profiles are `/{username}` there and links `/r/{slug}`.
    pub public_base_url: String,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins allowed to call from a browser.
    pub cors_origins: Vec<String>,
    /// `GATEWAY_BREAKER_FAILURES`: consecutive failures that open an upstream's circuit.
    pub breaker_failures: u32,
    /// `GATEWAY_BREAKER_OPEN_SECS`: how long an open circuit answers 503 before probing.
    pub breaker_open: Duration,
}

/// The rate-limit groups' own budgets.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupQuotas {
    pub auth: Option<Quota>,
    pub reads: Option<Quota>,
    pub writes: Option<Quota>,
}

impl GroupQuotas {
    pub fn of(&self, group: Group) -> Option<Quota> {
        match group {
            Group::Auth => self.auth,
            Group::Reads => self.reads,
            Group::Writes => self.writes,
        }
    }
}

fn per_minute(limit: u32) -> Quota {
    Quota {
        limit,
        window: Duration::from_secs(60),
    }
}

fn optional_quota(name: &str) -> Result<Option<Quota>, ConfigError> {
    match gridlink_config::var(name) {
        None => Ok(None),
        Some(_) => Ok(Some(per_minute(parse(name, 0)?))),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            auth: ClientSettings::from_env_with_timeout(
                "AUTH",
                "http://127.0.0.1:8081",
                Duration::from_secs(10),
            )?,
            grids: ClientSettings::from_env_with_timeout(
                "GRIDS",
                "http://127.0.0.1:8082",
                Duration::from_secs(3),
            )?,
            links: ClientSettings::from_env_with_timeout(
                "LINKS",
                "http://127.0.0.1:8083",
                Duration::from_secs(3),
            )?,
            analytics: ClientSettings::from_env_with_timeout(
                "ANALYTICS",
                "http://127.0.0.1:8084",
                Duration::from_secs(10),
            )?,
            spool: SpoolSettings::from_env()?,
            tokens: TokenAudience::from_env(),
            trusted_proxies: TrustedProxies::parse(&gridlink_config::list("TRUSTED_PROXIES"))
                .map_err(|reason| ConfigError {
                    name: "TRUSTED_PROXIES".into(),
                    reason,
                })?,
            anonymous: per_minute(parse("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 600)?),
            users: per_minute(parse("RATE_LIMIT_USER_PER_MINUTE", 1200)?),
            groups: GroupQuotas {
                auth: optional_quota("RATE_LIMIT_AUTH_PER_MINUTE")?,
                reads: optional_quota("RATE_LIMIT_READS_PER_MINUTE")?,
                writes: optional_quota("RATE_LIMIT_WRITES_PER_MINUTE")?,
            },
            redis_url: gridlink_config::var("REDIS_URL"),
            redis_prefix: gridlink_config::string("RATE_LIMIT_PREFIX", "gridlink:ratelimit:"),
            pages: CacheSettings {
                ttl: Duration::from_secs(parse("PAGE_CACHE_TTL_SECS", 60)?),
                prefix: gridlink_config::string("PAGE_CACHE_PREFIX", "gridlink:pages:"),
                max_entry_bytes: parse::<usize>("PAGE_CACHE_MAX_ENTRY_KB", 512)? * 1024,
                settle: Duration::from_millis(parse("PAGE_CACHE_SETTLE_MS", 1000)?),
            },
            public_base_url: gridlink_config::string("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
            cors_origins: gridlink_config::list("CORS_ALLOWED_ORIGINS"),
            breaker_failures: parse("GATEWAY_BREAKER_FAILURES", 5)?,
            breaker_open: Duration::from_secs(parse("GATEWAY_BREAKER_OPEN_SECS", 5)?),
        })
    }
}
