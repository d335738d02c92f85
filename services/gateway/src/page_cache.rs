//! The visitors' pages (profiles, grid pages) cached in Redis, shared by
//! every gateway replica, and dropped when what they show changes.
//!
//! Correctness, in three parts:
//! - Every cached page is filed under its owner. The events that make a page
//!   stale (`user.updated`, `user.deleted`, `grid.changed`, `links.changed`)
//!   name the owner, and [`PageCache::invalidate`] drops all of the owner's
//!   pages at once.
//! - A page assembled from reads made before a change must not be stored
//!   after the change's invalidation ran. Invalidation leaves a marker on the
//!   owner for the settle window (`PAGE_CACHE_SETTLE_MS`, 1 s), storing
//!   refuses while it is there, and an assembly that took longer than the
//!   window is served but not stored. So if an invalidation ran after a
//!   page's reads began, it ran less than a window before the page is
//!   stored, and its marker refuses the page. The cost: for a window after
//!   each change, its owner's pages are assembled uncached.
//! - Every entry expires (`PAGE_CACHE_TTL_SECS`, at most 60 s by default),
//!   and never outlives the next moment one of its links' windows opens or
//!   closes. With the broker down, that bounds staleness.
//!
//! Pages are the same for every caller (the anonymous view), so nothing
//! private can be served from here. Redis failing, or slower than
//! [`REDIS_BUDGET`], is a miss: the page is assembled as if uncached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use gridlink_events::consumer::{Handler, HandlerError, Message};
use gridlink_events::topology::{self, QueueSpec};
use gridlink_events::{Event, GridChanged, LinksChanged, UserDeleted, UserUpdated};
use gridlink_ids::UserId;
use sha2::{Digest, Sha256};

use crate::worker_redis::WorkerRedis;

/// The longest a cache operation may take before it is given up (a miss, or
/// a page not stored).
const REDIS_BUDGET: Duration = Duration::from_millis(100);

/// Stores an entry unless its owner changed in the dirty window.
const STORE: &str = r#"
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[3], KEYS[1])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return 1
"#;

/// Replaces an entry with the same page in more forms, if the entry is
/// still there and still this page; its expiry stays. (An invalidation
/// deletes the entry, so a fill arriving after it does nothing.)
const FILL: &str = r#"
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[2]) == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
  return 1
end
return 0
"#;

/// Marks the owner dirty and drops every page filed under them.
const INVALIDATE: &str = r#"
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
local keys = redis.call('SMEMBERS', KEYS[2])
for i = 1, #keys, 500 do
  redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[2])
return #keys
"#;

/// Pages smaller than this are sent as they are.
const COMPRESS_FROM: usize = 1024;

/// How a page's bytes are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }

    fn etag_suffix(self) -> &'static str {
        match self {
            Self::Identity => "",
            Self::Gzip => "-gz",
            Self::Brotli => "-br",
        }
    }
}

/// The codings of ours a client takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accepted {
    pub brotli: bool,
    pub gzip: bool,
}

impl Accepted {
    /// What `accept_encoding` admits (RFC 9110 §12.5.3: a coding with `q=0`
    /// is refused; no header means anything goes, but we send identity to a
    /// client that did not ask).
    pub fn of(accept_encoding: Option<&str>) -> Self {
        let Some(accepted) = accept_encoding else {
            return Self::default();
        };
        let admits = |coding: &str| {
            accepted.split(',').any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
            })
        };
        Self {
            brotli: admits("br"),
            gzip: admits("gzip"),
        }
    }
}

/// A page as it is served: its JSON, its compressed forms (when it is large
/// enough to gain), and a strong ETag per representation.
///
/// A miss pays only for gzip at level 1 (a fourth of brotli's cost): every
/// client that takes brotli takes gzip too, and is sent gzip. The brotli
/// form, a third smaller, is made once per cache entry, by the first hit
/// that takes it, and written back into the entry ([`PageCache::fill`]).
/// Redis keeps a compressed page's compressed forms alone (a fifth of its
/// JSON); the rare client that takes neither gets the gzip form
/// decompressed, which costs a tenth of compressing it.
#[derive(Debug, Clone)]
pub struct Page {
    /// The tag of the JSON; the compressed forms append `-gz` / `-br`.
    tag: String,
    /// Whose page it is (a view of it counts for them).
    pub owner: UserId,
    /// The JSON's length.
    pub len: usize,
    /// The JSON, unless only its compressed forms were kept.
    body: Option<Bytes>,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

impl Page {
    /// The page of `body`, with its gzip form if it is worth one.
    ///
    /// The tag is a digest of the gzip form when there is one (a sixth of
    /// the JSON to hash), which is as much the JSON's as the JSON itself:
    /// gzip at a given level is deterministic. (A replica on another zlib-rs
    /// may tag the same page otherwise, which costs a 200 for a 304.)
    pub fn new(body: Bytes, owner: UserId) -> Self {
        let gzip = (body.len() >= COMPRESS_FROM).then(|| gzipped(&body));
        let digest = Sha256::digest(gzip.as_ref().unwrap_or(&body));
        let tag = digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Self {
            tag,
            owner,
            len: body.len(),
            body: Some(body),
            gzip,
            brotli: None,
        }
    }

    /// Adds the brotli form, if the page is worth compressing and has none
    /// yet; whether it did.
    pub fn add_brotli(&mut self) -> bool {
        if self.brotli.is_some() || self.len < COMPRESS_FROM {
            return false;
        }
        let Some(json) = self.json() else {
            return false;
        };
        self.brotli = Some(brotlied(&json));
        true
    }

    /// The JSON itself; `None` if its stored form cannot be read.
    fn json(&self) -> Option<Bytes> {
        match (&self.body, &self.gzip) {
            (Some(body), _) => Some(body.clone()),
            (None, Some(gz)) => gunzipped(gz, self.len),
            (None, None) => None,
        }
    }

    /// What is sent to a client taking `accepted`: the bytes, their
    /// encoding, their ETag. `None` only for a page read back from the cache
    /// whose JSON cannot be recovered (the caller assembles it instead).
    pub fn representation(&self, accepted: Accepted) -> Option<(Bytes, Encoding, String)> {
        let (bytes, encoding) = match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepted.brotli => (br.clone(), Encoding::Brotli),
            (_, Some(gz)) if accepted.gzip => (gz.clone(), Encoding::Gzip),
            _ => (self.json()?, Encoding::Identity),
        };
        let etag = format!("\"{}{}\"", self.tag, encoding.etag_suffix());
        Some((bytes, encoding, etag))
    }

    /// Whether an `If-None-Match` value names this page in any of its
    /// representations (`*`, or a list of ETags; weak ones compared weakly,
    /// as RFC 9110 says for GET).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if if_none_match.trim() == "*" {
            return true;
        }
        if_none_match.split(',').any(|tag| {
            let tag = tag.trim().trim_start_matches("W/");
            [Encoding::Identity, Encoding::Gzip, Encoding::Brotli]
                .iter()
                .any(|e| tag == format!("\"{}{}\"", self.tag, e.etag_suffix()))
        })
    }

    /// The tag, the owner, then the three lengths, on a header line; then
    /// the bytes.
    /// (The JSON's stored length is 0 when it is kept only compressed.)
    fn encode(&self) -> Vec<u8> {
        let len = |b: &Option<Bytes>| b.as_ref().map_or(0, Bytes::len);
        let body = if self.gzip.is_some() {
            None
        } else {
            self.body.as_ref()
        };
        let header = format!(
            "{}{} {} {} {} {}\n",
            self.stored_prefix(),
            self.owner,
            self.len,
            body.map_or(0, Bytes::len),
            len(&self.gzip),
            len(&self.brotli)
        );
        let mut value = header.into_bytes();
        for part in [body, self.gzip.as_ref(), self.brotli.as_ref()]
            .into_iter()
            .flatten()
        {
            value.extend_from_slice(part);
        }
        value
    }

    /// How the stored form begins: the tag and a space. An entry that
    /// begins so holds this very JSON.
    fn stored_prefix(&self) -> String {
        format!("{} ", self.tag)
    }

    fn decode(value: Vec<u8>) -> Option<Self> {
        let newline = value.iter().position(|&b| b == b'\n')?;
        let header = std::str::from_utf8(&value[..newline]).ok()?;
        let mut fields = header.split(' ');
        let tag = fields.next()?.to_owned();
        let owner = UserId::parse(fields.next()?).ok()?;
        let mut lengths = fields.map(|n| n.parse::<usize>().ok());
        let (len, body_len, gzip_len, brotli_len) = (
            lengths.next()??,
            lengths.next()??,
            lengths.next()??,
            lengths.next()??,
        );
        let all = Bytes::from(value);
        let mut at = newline + 1;
        let mut take = |n: usize| {
            let part = all.get(at..at + n).map(|_| all.slice(at..at + n));
            at += n;
            part
        };
        let body = if body_len > 0 || len == 0 {
            Some(take(body_len)?)
        } else {
            None
        };
        let gzip = if gzip_len > 0 {
            Some(take(gzip_len)?)
        } else {
            None
        };
        let brotli = if brotli_len > 0 {
            Some(take(brotli_len)?)
        } else {
            None
        };
        if body.is_none() && gzip.is_none() {
            return None;
        }
        Some(Self {
            tag,
            owner,
            len,
            body,
            gzip,
            brotli,
        })
    }
}

fn gunzipped(gz: &[u8], len: usize) -> Option<Bytes> {
    use std::io::Read;
    let mut out = Vec::with_capacity(len);
    match flate2::read::GzDecoder::new(gz).read_to_end(&mut out) {
        Ok(_) if out.len() == len => Some(out.into()),
        Ok(_) | Err(_) => {
            tracing::warn!("a cached page's gzip form is unreadable; assembling the page");
            None
        }
    }
}

fn gzipped(body: &[u8]) -> Bytes {
    use std::io::Write;
    // Level 1 of zlib-rs (zlib-ng's quick deflate): a miss waits for it.
    // On a 42 KB profile, 49 us for 6,800 bytes; level 2 takes 87 us for
    // 4,830, the default 6 about 180 us for 4,036, and miniz's level 1 took
    // 154 us for 5,252. Browsers take the brotli form (3,470 bytes), which
    // the first hit that asks adds; gzip is the miss's and the rest's.
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(1),
    );
    encoder.write_all(body).expect("writing to memory");
    encoder.finish().expect("writing to memory").into()
}

fn brotlied(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 4);
    // Quality 4 with a window no larger than the page: on a 42 KB profile,
    // 0.22 ms for 3,470 bytes, against 0.82 ms for 3,398 at quality 5 and
    // the default 4 MiB window (whose buffers cost more to clear than the
    // page costs to compress); quality 5 with a small window takes 5 ms.
    let window_bits = (usize::BITS - body.len().leading_zeros()).clamp(10, 22);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 4,
        lgwin: window_bits as i32,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).expect("writing to memory");
    out.into()
}

/// Where pages are cached; without Redis, nowhere (every request a miss).
pub struct PageCache {
    redis: Option<WorkerRedis>,
    prefix: String,
    ttl: Duration,
    max_entry_bytes: usize,
    settle: Duration,
    store: redis::Script,
    fill: redis::Script,
    invalidate: redis::Script,
}

/// The cache's settings.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// `PAGE_CACHE_TTL_SECS` (default 60): the bound on staleness when no
    /// event arrives (the broker down).
    pub ttl: Duration,
    /// `PAGE_CACHE_PREFIX` (default `gridlink:pages:`).
    pub prefix: String,
    /// `PAGE_CACHE_MAX_ENTRY_KB` (default 512): larger pages are not cached.
    pub max_entry_bytes: usize,
    /// `PAGE_CACHE_SETTLE_MS` (default 1000): how long after a change its
    /// owner's pages are not cached, and the longest assembly that is.
    pub settle: Duration,
}

impl PageCache {
    /// A cache in `redis` (none: off).
    pub fn new(redis: Option<WorkerRedis>, settings: &CacheSettings) -> Self {
        Self {
            redis,
            prefix: settings.prefix.clone(),
            ttl: settings.ttl,
            max_entry_bytes: settings.max_entry_bytes,
            settle: settings.settle,
            store: redis::Script::new(STORE),
            fill: redis::Script::new(FILL),
            invalidate: redis::Script::new(INVALIDATE),
        }
    }

    /// The cached page at `key`, if there is one and Redis answers in time.
    pub async fn get(&self, key: &str) -> Option<Page> {
        self.get_bytes(key).await.and_then(Page::decode)
    }

    /// The Redis connection, for the gateway's other uses of the same Redis.
    pub fn redis(&self) -> Option<WorkerRedis> {
        self.redis.clone()
    }

    /// The bytes cached at `key` (a page or anything else filed under an
    /// owner), if Redis answers in time.
    pub async fn get_bytes(&self, key: &str) -> Option<Vec<u8>> {
        let mut redis = self.connection()?;
        let key = format!("{}{key}", self.prefix);
        let mut command = redis::cmd("GET");
        command.arg(&key);
        let read = command.query_async::<Option<Vec<u8>>>(&mut redis);
        match tokio::time::timeout(REDIS_BUDGET, read).await {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "page cache unavailable; assembling the page");
                None
            }
            Err(_) => {
                tracing::warn!("page cache too slow; assembling the page");
                None
            }
        }
    }

    /// Stores `page` at `key`, filed under `owner`, unless the owner changed
    /// since `started` (when its reads began) could have seen; it expires at
    /// the TTL or at `changes_at`, whichever comes first.
    pub async fn put(
        &self,
        key: &str,
        page: &Page,
        started: Instant,
        changes_at: Option<DateTime<Utc>>,
    ) {
        if page.len > self.max_entry_bytes {
            return;
        }
        self.put_bytes(key, &page.owner.clone(), page.encode(), started, changes_at)
            .await;
    }

    /// Stores `value` at `key` as [`PageCache::put`] stores a page: filed
    /// under `owner`, dropped with the owner's pages.
    pub async fn put_bytes(
        &self,
        key: &str,
        owner: &UserId,
        value: Vec<u8>,
        started: Instant,
        changes_at: Option<DateTime<Utc>>,
    ) {
        let Some(mut redis) = self.connection() else {
            return;
        };
        if started.elapsed() >= self.settle {
            return;
        }
        let mut ttl = self.ttl;
        if let Some(at) = changes_at {
            match (at - Utc::now()).to_std() {
                Ok(until) => ttl = ttl.min(until),
                Err(_) => return, // already changed
            }
        }
        let ttl_ms = ttl.as_millis() as u64;
        if ttl_ms == 0 {
            return;
        }
        let mut invocation = self.store.prepare_invoke();
        invocation
            .key(format!("{}{key}", self.prefix))
            .key(self.dirty_key(owner))
            .key(self.owner_key(owner))
            .arg(value)
            .arg(ttl_ms);
        let stored = invocation.invoke_async::<i64>(&mut redis);
        match tokio::time::timeout(REDIS_BUDGET, stored).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "a page could not be cached"),
            Err(_) => tracing::warn!("page cache too slow; the page was not cached"),
        }
    }

    /// Writes `page`, read from `key` and since given more forms, back over
    /// the entry it was read from, unless that entry is gone or holds
    /// another page by now.
    pub async fn fill(&self, key: &str, page: &Page) {
        let Some(mut redis) = self.connection() else {
            return;
        };
        let mut invocation = self.fill.prepare_invoke();
        invocation
            .key(format!("{}{key}", self.prefix))
            .arg(page.encode())
            .arg(page.stored_prefix());
        let filled = invocation.invoke_async::<i64>(&mut redis);
        match tokio::time::timeout(REDIS_BUDGET, filled).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "a cached page could not be filled"),
            Err(_) => tracing::warn!("page cache too slow; a cached page was not filled"),
        }
    }

    /// Drops every page of `owner` and keeps pages assembled before now from
    /// being stored. An error is for the event to be delivered again.
    pub async fn invalidate(&self, owner: &UserId) -> anyhow::Result<usize> {
        let Some(mut redis) = self.connection() else {
            return Ok(0);
        };
        let mut invocation = self.invalidate.prepare_invoke();
        invocation
            .key(self.dirty_key(owner))
            .key(self.owner_key(owner))
            .arg(self.settle.as_millis() as u64);
        let dropped = invocation.invoke_async::<i64>(&mut redis);
        let dropped = tokio::time::timeout(Duration::from_secs(2), dropped).await??;
        Ok(dropped.max(0) as usize)
    }

    /// This thread's connection to the cache's Redis, if there is one.
    fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        self.redis.as_ref().map(WorkerRedis::connection)
    }

    fn owner_key(&self, owner: &UserId) -> String {
        format!("{}owner:{owner}", self.prefix)
    }

    fn dirty_key(&self, owner: &UserId) -> String {
        format!("{}dirty:{owner}", self.prefix)
    }
}

/// Reads whose pages an event makes stale.
type OwnerOf = fn(&Message) -> Result<UserId, HandlerError>;

fn updated_user(message: &Message) -> Result<UserId, HandlerError> {
    Ok(message.decode::<UserUpdated>(UserUpdated::TYPE)?.user_id)
}

fn deleted_user(message: &Message) -> Result<UserId, HandlerError> {
    Ok(message.decode::<UserDeleted>(UserDeleted::TYPE)?.user_id)
}

fn changed_grid(message: &Message) -> Result<UserId, HandlerError> {
    Ok(message.decode::<GridChanged>(GridChanged::TYPE)?.owner)
}

fn changed_links(message: &Message) -> Result<UserId, HandlerError> {
    Ok(message.decode::<LinksChanged>(LinksChanged::TYPE)?.owner)
}

/// The gateways' queues of the events that make pages stale, and whose.
pub const STALE_PAGES: [(QueueSpec, OwnerOf); 4] = [
    (topology::GATEWAY_USER_UPDATED, updated_user),
    (topology::GATEWAY_USER_DELETED, deleted_user),
    (topology::GATEWAY_GRID_CHANGED, changed_grid),
    (topology::GATEWAY_LINKS_CHANGED, changed_links),
];

/// Drops the owner's pages for each event. Dropping twice changes nothing,
/// so redeliveries need no record; a Redis failure is retried.
pub fn invalidation(cache: Arc<PageCache>, owner_of: OwnerOf) -> Handler {
    Arc::new(move |message| {
        let cache = Arc::clone(&cache);
        Box::pin(async move {
            let owner = owner_of(&message)?;
            let dropped = cache
                .invalidate(&owner)
                .await
                .map_err(HandlerError::Transient)?;
            tracing::debug!(%owner, dropped, event = %message.event_type, "pages dropped");
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Accepted = Accepted {
        brotli: true,
        gzip: true,
    };
    const PLAIN: Accepted = Accepted {
        brotli: false,
        gzip: false,
    };

    fn large_json() -> String {
        format!(
            "{{\"links\":[{}]}}",
            vec!["{\"title\":\"a link\"}"; 200].join(",")
        )
    }

    fn decoded(bytes: &[u8], encoding: Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            Encoding::Identity => out.extend_from_slice(bytes),
            Encoding::Gzip => {
                use std::io::Read;
                flate2::read::GzDecoder::new(bytes)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Brotli => {
                brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
            }
        }
        out
    }

    #[test]
    fn a_page_round_trips_and_matches_its_own_etags() {
        let mut page = Page::new(Bytes::from_static(b"{\"a\":\"x\\ny\"}"), UserId::generate());
        assert!(!page.add_brotli(), "small pages are not compressed");
        let back = Page::decode(page.encode()).unwrap();
        assert_eq!(
            back.representation(PLAIN).unwrap().0,
            page.representation(PLAIN).unwrap().0
        );
        let (_, encoding, etag) = page.representation(ALL).unwrap();
        assert_eq!(
            encoding,
            Encoding::Identity,
            "small pages are sent as they are"
        );
        assert!(page.matches(&etag));
        assert!(page.matches(&format!("\"other\", W/{etag}")));
        assert!(page.matches("*"));
        assert!(!page.matches("\"other\""));
        assert_ne!(
            etag,
            Page::new(Bytes::from_static(b"{}"), UserId::generate())
                .representation(PLAIN)
                .unwrap()
                .2
        );
    }

    #[test]
    fn a_new_page_has_gzip_and_gains_brotli_once_each_form_with_its_own_etag() {
        let json = large_json();
        let page = Page::new(Bytes::from(json.clone()), UserId::generate());
        let (_, first, _) = page.representation(ALL).unwrap();
        assert_eq!(first, Encoding::Gzip, "a miss is sent the form it made");
        let stored = page.encode();
        assert!(
            stored.len() < json.len() / 2,
            "only the compressed forms are stored: {} bytes",
            stored.len()
        );
        let mut back = Page::decode(stored).unwrap();
        assert!(back.add_brotli());
        assert!(!back.add_brotli(), "brotli is made once");
        let back = Page::decode(back.encode()).unwrap();
        let mut etags = Vec::new();
        for (accepted, wanted) in [
            (PLAIN, Encoding::Identity),
            (
                Accepted {
                    brotli: false,
                    gzip: true,
                },
                Encoding::Gzip,
            ),
            (ALL, Encoding::Brotli),
            (
                Accepted {
                    brotli: true,
                    gzip: false,
                },
                Encoding::Brotli,
            ),
        ] {
            let (bytes, encoding, etag) = back.representation(accepted).unwrap();
            assert_eq!(encoding, wanted);
            assert!(back.matches(&etag) && page.matches(&etag));
            assert_eq!(decoded(&bytes, encoding), json.as_bytes());
            assert!(encoding == Encoding::Identity || bytes.len() < json.len() / 4);
            etags.push(etag);
        }
        etags.dedup();
        assert_eq!(etags.len(), 3);
    }

    #[test]
    fn the_codings_are_those_the_client_admits() {
        let of = |header| {
            let accepted = Accepted::of(header);
            (accepted.brotli, accepted.gzip)
        };
        assert_eq!(of(None), (false, false));
        assert_eq!(of(Some("gzip, deflate, br")), (true, true));
        assert_eq!(of(Some("gzip")), (false, true));
        assert_eq!(of(Some("br;q=0, gzip;q=0.5")), (false, true));
        assert_eq!(of(Some("identity")), (false, false));
        assert_eq!(of(Some("*")), (true, true));
    }

    async fn cache(prefix: &str) -> PageCache {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let settings = CacheSettings {
            ttl: Duration::from_secs(60),
            prefix: prefix.to_owned(),
            max_entry_bytes: 512 * 1024,
            settle: Duration::from_secs(1),
        };
        let redis = WorkerRedis::connect(&url).await.unwrap();
        PageCache::new(Some(redis), &settings)
    }

    #[tokio::test]
    async fn brotli_fills_the_entry_it_was_read_from_and_never_a_dropped_one() {
        let prefix = format!("test:{}:", UserId::generate());
        let cache = cache(&prefix).await;
        let owner = UserId::generate();
        let page = Page::new(Bytes::from(large_json()), owner.clone());

        cache.put("p", &page, Instant::now(), None).await;
        let mut hit = cache.get("p").await.expect("stored");
        assert!(hit.brotli.is_none(), "a miss stores no brotli");
        assert!(hit.add_brotli());
        cache.fill("p", &hit).await;
        let filled = cache.get("p").await.expect("still stored");
        assert!(filled.brotli.is_some(), "the next hit has brotli");
        let mut redis = cache.redis().unwrap().connection();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(format!("{prefix}p"))
            .query_async(&mut redis)
            .await
            .unwrap();
        assert!(ttl > 0 && ttl <= 60_000, "the expiry is kept: {ttl} ms");

        // A fill that comes after the owner's pages were dropped, or after
        // the entry holds another page, changes nothing.
        cache.put("q", &page, Instant::now(), None).await;
        let mut late = cache.get("q").await.unwrap();
        late.add_brotli();
        cache.invalidate(&owner).await.unwrap();
        cache.fill("q", &late).await;
        assert!(
            cache.get("q").await.is_none(),
            "a dropped page stays dropped"
        );

        let other = Page::new(Bytes::from(large_json().replace("a link", "b link")), owner);
        redis::cmd("SET")
            .arg(format!("{prefix}r"))
            .arg(other.encode())
            .arg("PX")
            .arg(60_000)
            .query_async::<()>(&mut redis)
            .await
            .unwrap();
        cache.fill("r", &late).await;
        let kept = cache.get("r").await.unwrap();
        assert_eq!(kept.tag, other.tag, "another page is not overwritten");
        assert!(kept.brotli.is_none());
        redis::cmd("DEL")
            .arg(format!("{prefix}p"))
            .arg(format!("{prefix}r"))
            .query_async::<()>(&mut redis)
            .await
            .unwrap();
    }
}
