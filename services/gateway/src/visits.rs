//! Counting visits: each profile or grid page answered (200 or 304) is a
//! view, each `/r/{slug}` followed is a click. A visit is queued in a spool
//! and published in batches (see `gridlink_events::spool`); a visitor never
//! waits on the broker.
//!
//! What leaves the gateway about a visitor is only this: a keyed hash of
//! their address and user agent under the day's secret, their device class,
//! and the host of the page that sent them. The secret is made once per UTC
//! day (shared by every replica through Redis, expiring when the day ends)
//! and then forgotten, so a hash says nothing about anyone once the day is
//! over. Without Redis each replica makes its own, and a visitor who meets
//! two replicas counts twice that day.
//!
//! Not counted: requests presenting the owner's own access token. Known
//! crawlers and bots are counted apart (their device is `bot`).

use std::sync::Mutex;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;
use aws_lc_rs::hmac;
use chrono::{NaiveDate, Utc};
use gridlink_events::spool::{Spool, SpoolMetrics, SpoolSettings, Spools};
use gridlink_events::{BrokerSettings, Device, LinksClicked, PagesViewed, Visit};
use gridlink_ids::{GridSlug, UserId};
use links_client::LinkTarget;

use crate::state::Gateway;
use crate::worker_redis::WorkerRedis;

/// Substrings of the user agents of known crawlers, bots and link
/// previewers (lowercase), one per line.
const BOTS: &str = include_str!("bots.txt");

/// How long the day's secret is looked for in Redis before this replica
/// makes its own.
const SALT_BUDGET: Duration = Duration::from_millis(100);

/// The gateway's visit counting.
pub struct Visits {
    clicks: Spool<LinksClicked>,
    views: Spool<PagesViewed>,
    salts: DailySecret,
    bots: Vec<&'static str>,
}

impl Visits {
    /// Spools for clicks and views, published to `broker` (none: counted
    /// nowhere, as when the stack runs without a broker).
    pub fn start(
        broker: Option<BrokerSettings>,
        settings: &SpoolSettings,
        registry: &prometheus::Registry,
        redis: Option<WorkerRedis>,
        prefix: &str,
    ) -> (Self, Option<gridlink_events::spool::Publisher>) {
        let metrics = SpoolMetrics::register(registry);
        let clicks = Spool::new(settings, metrics.clone());
        let views = Spool::new(settings, metrics);
        let publisher = broker.map(|broker| {
            Spools::default()
                .with(&clicks)
                .with(&views)
                .spawn(broker, settings.clone())
        });
        let visits = Self {
            clicks,
            views,
            salts: DailySecret::new(redis, format!("{prefix}visitor-secret:")),
            bots: BOTS
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .collect(),
        };
        (visits, publisher)
    }

    /// Counts a click on `target` (followed from `source`, e.g. `qr`).
    pub async fn clicked(
        &self,
        req: &HttpRequest,
        gateway: &Gateway,
        target: &LinkTarget,
        source: Option<String>,
    ) {
        if let Some(mut visit) = self.visit(req, gateway, &target.owner).await {
            visit.grid = Some(target.grid.clone());
            visit.link = Some(target.link.clone());
            visit.source = source;
            self.clicks.push(visit);
        }
    }

    /// Counts a view of `owner`'s profile (`grid` none) or grid page.
    pub async fn viewed(
        &self,
        req: &HttpRequest,
        gateway: &Gateway,
        owner: &UserId,
        grid: Option<GridSlug>,
    ) {
        if let Some(mut visit) = self.visit(req, gateway, owner).await {
            visit.grid = grid;
            self.views.push(visit);
        }
    }

    /// The visit `req` makes to `owner`'s page, unless it is the owner's.
    async fn visit(&self, req: &HttpRequest, gateway: &Gateway, owner: &UserId) -> Option<Visit> {
        if is_owner(req, gateway, owner).await {
            return None;
        }
        let agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let address = gridlink_http::client_ip(req, &gateway.trusted_proxies)
            .map_or_else(String::new, |ip| ip.to_string());
        let now = Utc::now();
        let secret = self.salts.of(now.date_naive()).await;
        let tag = hmac::sign(&secret, format!("{address}\n{agent}").as_bytes());
        let visitor = tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(Visit {
            at: now,
            owner: owner.clone(),
            grid: None,
            link: None,
            visitor,
            source: None,
            referrer: referrer_host(req),
            device: self.device(agent),
            count: 1,
        })
    }

    fn device(&self, agent: &str) -> Device {
        let agent = agent.to_ascii_lowercase();
        if agent.is_empty() || self.bots.iter().any(|bot| agent.contains(bot)) {
            Device::Bot
        } else if agent.contains("ipad")
            || agent.contains("tablet")
            || (agent.contains("android") && !agent.contains("mobile"))
        {
            Device::Tablet
        } else if agent.contains("mobi") || agent.contains("iphone") || agent.contains("android") {
            Device::Mobile
        } else {
            Device::Desktop
        }
    }
}

/// Counts `response` to `req` as a view of `owner`'s page when it showed
/// the page (200) or confirmed it (304).
pub async fn count_view(
    req: &HttpRequest,
    gateway: &Gateway,
    response: &actix_web::HttpResponse,
    owner: &UserId,
    grid: Option<GridSlug>,
) {
    use actix_web::http::StatusCode;
    if matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED) {
        gateway.visits.viewed(req, gateway, owner, grid).await;
    }
}

/// Whether `req` carries a valid access token of `owner` (an invalid one is
/// simply a visitor's: pages ignore tokens).
async fn is_owner(req: &HttpRequest, gateway: &Gateway, owner: &UserId) -> bool {
    let Ok(Some(token)) = gridlink_http::bearer_token(req) else {
        return false;
    };
    matches!(gateway.verifier.verify(&token).await, Ok(claims) if &claims.sub == owner)
}

/// The host of the `Referer`, lowercased; nothing else of it is kept.
fn referrer_host(req: &HttpRequest) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    (host.len() <= 253).then_some(host)
}

/// The secret of the current UTC day: made once, shared through Redis by
/// every replica, forgotten when the day ends.
struct DailySecret {
    redis: Option<WorkerRedis>,
    prefix: String,
    today: Mutex<Option<(NaiveDate, hmac::Key)>>,
}

impl DailySecret {
    fn new(redis: Option<WorkerRedis>, prefix: String) -> Self {
        Self {
            redis,
            prefix,
            today: Mutex::new(None),
        }
    }

    async fn of(&self, day: NaiveDate) -> hmac::Key {
        if let Some((known, key)) = &*self.today.lock().expect("never poisoned")
            && *known == day
        {
            return key.clone();
        }
        let secret = match self.shared(day).await {
            Some(secret) => secret,
            None => random_secret(),
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
        *self.today.lock().expect("never poisoned") = Some((day, key.clone()));
        key
    }

    /// The day's secret in Redis, made there if no replica made it yet; it
    /// expires a minute after the day ends.
    async fn shared(&self, day: NaiveDate) -> Option<Vec<u8>> {
        let mut redis = self.redis.as_ref()?.connection();
        let key = format!("{}{day}", self.prefix);
        let end = day.succ_opt()?.and_hms_opt(0, 1, 0)?.and_utc();
        let ttl_ms = (end - Utc::now()).num_milliseconds().max(1_000);
        let candidate = random_secret();
        let exchange = async {
            let mut set = redis::cmd("SET");
            set.arg(&key)
                .arg(&candidate)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms);
            set.query_async::<Option<String>>(&mut redis).await?;
            redis::cmd("GET")
                .arg(&key)
                .query_async::<Option<Vec<u8>>>(&mut redis)
                .await
        };
        match tokio::time::timeout(SALT_BUDGET, exchange).await {
            Ok(Ok(Some(secret))) if secret.len() == 32 => Some(secret),
            Ok(Ok(_)) => None,
            Ok(Err(error)) => {
                tracing::warn!(%error, "the day's visitor secret is not shared; using this replica's own");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "Redis too slow for the day's visitor secret; using this replica's own"
                );
                None
            }
        }
    }
}

fn random_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).expect("the system's random source works");
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visits() -> Visits {
        Visits::start(
            None,
            &SpoolSettings {
                max_items: 10,
                batch: 5,
                flush_every: Duration::from_millis(50),
            },
            &prometheus::Registry::new(),
            None,
            "test:",
        )
        .0
    }

    #[test]
    fn user_agents_are_told_apart_by_device_and_bots_counted_apart() {
        let visits = visits();
        for (agent, device) in [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
                Device::Tablet,
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                Device::Bot,
            ),
            (
                "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                Device::Bot,
            ),
            ("curl/8.5.0", Device::Bot),
            ("", Device::Bot),
        ] {
            assert_eq!(visits.device(agent), device, "{agent}");
        }
    }

    #[tokio::test]
    async fn a_day_has_one_secret_and_the_next_day_another() {
        let secrets = DailySecret::new(None, "test:".into());
        let today = Utc::now().date_naive();
        let sign = |key: hmac::Key| hmac::sign(&key, b"visitor").as_ref().to_vec();
        let first = sign(secrets.of(today).await);
        assert_eq!(first, sign(secrets.of(today).await));
        assert_ne!(first, sign(secrets.of(today.succ_opt().unwrap()).await));
    }
}
