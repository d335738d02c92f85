//! The visitors' pages (profiles and grid pages) from the gateways' shared
//! cache in Redis: every kind of write shows within a second (figures in
//! target/reliability/pages-invalidation.json), with the broker down entries
//! expire by their TTL, a link's window closes on time, 304s need no
//! backend, and a Redis outage only costs the cache.

use std::time::{Duration, Instant};

use gridlink_config::Secret;
use gridlink_e2e::accounts::{create_grid, create_link};
use gridlink_e2e::figures::{self, millis, percentile};
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::{BrokerUrls, Options, Stack};
use gridlink_test_support::{User, signup};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REDIS: &str = "127.0.0.1:6379";
/// Writes of each kind; `PAGES_TRIALS=200` for the figures of a closing note.
fn trials() -> usize {
    std::env::var("PAGES_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40)
}
/// The settle window the tests run with (1 s by default), so a page is
/// cacheable again soon after each write.
const SETTLE: Duration = Duration::from_millis(150);
/// Longer than the contract's bound, so a slow change is measured, not cut.
const GIVE_UP: Duration = Duration::from_secs(5);

/// A stack whose gateway caches pages in Redis at `redis` (its own keys),
/// with `ttl`, and follows the broker at `broker` (the test's own).
async fn cached(ttl: Duration, redis: &str, brokers: Option<String>) -> Stack {
    let redis = format!("redis://{redis}");
    let prefix = format!("gltest-{}:", uuid::Uuid::new_v4().simple());
    let gateway_broker = brokers.clone();
    Stack::start_options(Options {
        brokers: brokers.map_or_else(BrokerUrls::default, |url| BrokerUrls {
            auth: url.clone(),
            grids: url.clone(),
            links: url,
        }),
        gateway: Some(Box::new(move |config: &mut gateway::Config| {
            config.anonymous.limit = 1_000_000_000;
            config.users.limit = 1_000_000_000;
            config.redis_url = Some(redis);
            config.redis_prefix = format!("{prefix}ratelimit:");
            config.pages.prefix = format!("{prefix}pages:");
            config.pages.ttl = ttl;
            config.pages.settle = SETTLE;
            if let (Some(url), Some(events)) = (gateway_broker, config.kit.events.as_mut()) {
                events.url = Secret::new(url);
            }
        })),
        ..Options::default()
    })
    .await
}

async fn send(stack: &Stack, method: Method, path: &str, user: &User, body: Value) -> u16 {
    let response = stack
        .client
        .request(method, format!("{}{path}", stack.edge()))
        .bearer_auth(&user.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Reads `path` until it is served from the cache (after a write, its
/// owner's pages settle first).
async fn cache(stack: &Stack, path: &str) {
    let started = Instant::now();
    while page(stack, path).await.1.as_deref() != Some("hit") {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} is never cached"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn page(stack: &Stack, path: &str) -> (StatusCode, Option<String>, Value) {
    let response = stack
        .client
        .get(format!("{}{path}", stack.edge()))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, cache, body)
}

/// How long after `since` the page at `path` first satisfies `shows`.
async fn shown_after(
    stack: &Stack,
    path: &str,
    since: Instant,
    shows: impl Fn(StatusCode, &Value) -> bool,
) -> Duration {
    loop {
        let (status, cache, body) = page(stack, path).await;
        if shows(status, &body) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < GIVE_UP,
            "{path} did not change within {GIVE_UP:?}: {status} ({cache:?}) {body}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn titles(links: &Value) -> Vec<&str> {
    links
        .as_array()
        .map(|links| links.iter().map(|l| l["title"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// One kind of write, measured `TRIALS` times by its own user.
async fn measure(stack: &Stack, kind: &'static str) -> (&'static str, Vec<Duration>) {
    let user = signup(
        &stack.client,
        &stack.auth.url,
        &format!("w_{}", kind.replace('.', "_")),
    )
    .await;
    let token = user.access_token.clone();
    let grid = create_grid(stack, &stack.grids.url, &token, "g").await;
    let first = create_link(stack, &stack.links.url, &token, &grid, "first").await;
    let second = create_link(stack, &stack.links.url, &token, &grid, "second").await;
    let profile = format!("/api/v1/profiles/{}", user.username);
    let grid_page = format!("/api/v1/grids/{grid}/page");
    let mut times = Vec::with_capacity(trials());
    for i in 0..trials() {
        // Cached first, so the change has something to invalidate.
        for path in [&profile, &grid_page] {
            cache(stack, path).await;
        }
        let value = format!("v{i}");
        let (path, status, since) = match kind {
            "user.display_name" => {
                let status = send(
                    stack,
                    Method::PATCH,
                    "/api/v1/users/me",
                    &user,
                    json!({"display_name": value}),
                )
                .await;
                (&profile, status, Instant::now())
            }
            "grid.title" => {
                let status = send(
                    stack,
                    Method::PATCH,
                    &format!("/api/v1/grids/{grid}"),
                    &user,
                    json!({"title": value}),
                )
                .await;
                (&grid_page, status, Instant::now())
            }
            "grid.create" => {
                let status = send(
                    stack,
                    Method::POST,
                    "/api/v1/grids",
                    &user,
                    json!({"title": value}),
                )
                .await;
                (
                    &profile,
                    if status == 201 { 200 } else { status },
                    Instant::now(),
                )
            }
            "link.create" => {
                // First, so it is among the page's first 50 links.
                let body = json!({"grid": grid, "title": value, "url": "https://example.com", "position": 0});
                let status = send(stack, Method::POST, "/api/v1/links", &user, body).await;
                (
                    &grid_page,
                    if status == 201 { 200 } else { status },
                    Instant::now(),
                )
            }
            "link.title" => {
                let status = send(
                    stack,
                    Method::PATCH,
                    &format!("/api/v1/links/{first}"),
                    &user,
                    json!({"title": value}),
                )
                .await;
                (&grid_page, status, Instant::now())
            }
            "link.enabled" => {
                let status = send(
                    stack,
                    Method::PATCH,
                    &format!("/api/v1/links/{second}"),
                    &user,
                    json!({"enabled": i % 2 == 1}),
                )
                .await;
                (&grid_page, status, Instant::now())
            }
            "links.reorder" => {
                let order = if i % 2 == 0 {
                    [&second, &first]
                } else {
                    [&first, &second]
                };
                let status = send(
                    stack,
                    Method::PUT,
                    "/api/v1/links/order",
                    &user,
                    json!({"grid": grid, "links": order}),
                )
                .await;
                (
                    &grid_page,
                    if status == 204 { 200 } else { status },
                    Instant::now(),
                )
            }
            other => unreachable!("{other}"),
        };
        assert_eq!(status, 200, "{kind} #{i} was refused");
        let shows = |status: StatusCode, body: &Value| {
            status == 200
                && match kind {
                    "user.display_name" => body["user"]["display_name"] == value.as_str(),
                    "grid.title" => body["grid"]["title"] == value.as_str(),
                    "grid.create" => body["grids"][0]["title"] == value.as_str(),
                    "link.create" => titles(&body["links"]).contains(&value.as_str()),
                    "link.title" => titles(&body["links"]).contains(&value.as_str()),
                    "link.enabled" => titles(&body["links"]).contains(&"second") == (i % 2 == 1),
                    "links.reorder" => {
                        titles(&body["links"]).first()
                            == Some(&if i % 2 == 0 { "second" } else { "first" })
                    }
                    _ => false,
                }
        };
        times.push(shown_after(stack, path, since, shows).await);
    }
    (kind, times)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_write_shows_on_the_cached_pages_within_a_second() {
    let stack = cached(Duration::from_secs(60), REDIS, None).await;
    let kinds = [
        "user.display_name",
        "grid.create",
        "grid.title",
        "link.create",
        "link.title",
        "link.enabled",
        "links.reorder",
    ];
    let measured = futures_util::future::join_all(kinds.map(|kind| measure(&stack, kind))).await;
    let mut report = serde_json::Map::new();
    let mut slow = Vec::new();
    for (kind, mut times) in measured {
        times.sort();
        let p99 = percentile(&times, 0.99);
        let figures = json!({
            "writes": times.len(), "p50_ms": millis(percentile(&times, 0.5)),
            "p99_ms": millis(p99), "max_ms": millis(*times.last().unwrap()),
        });
        if p99 > Duration::from_secs(1) {
            slow.push(format!("{kind}: {figures}"));
        }
        report.insert(kind.into(), figures);
    }
    figures::record("pages-invalidation", Value::Object(report));
    assert!(slow.is_empty(), "p99 over a second: {slow:#?}");
}

#[tokio::test]
async fn a_deleted_account_or_grid_has_no_page_within_a_second() {
    let stack = cached(Duration::from_secs(60), REDIS, None).await;
    let user = signup(&stack.client, &stack.auth.url, "leaving").await;
    let grid = create_grid(&stack, &stack.grids.url, &user.access_token, "g").await;
    let other = create_grid(&stack, &stack.grids.url, &user.access_token, "h").await;
    let profile = "/api/v1/profiles/leaving".to_owned();
    for path in [
        &profile,
        &format!("/api/v1/grids/{grid}/page"),
        &format!("/api/v1/grids/{other}/page"),
    ] {
        cache(&stack, path).await;
    }
    assert_eq!(
        send(
            &stack,
            Method::DELETE,
            &format!("/api/v1/grids/{other}"),
            &user,
            json!({})
        )
        .await,
        204
    );
    let took = shown_after(
        &stack,
        &format!("/api/v1/grids/{other}/page"),
        Instant::now(),
        |s, _| s == 404,
    )
    .await;
    assert!(
        took < Duration::from_secs(1),
        "grid page 404 after {took:?}"
    );

    // Cached again, so the deletion has something to invalidate.
    for path in [&profile, &format!("/api/v1/grids/{grid}/page")] {
        cache(&stack, path).await;
    }
    let deleted = send(
        &stack,
        Method::DELETE,
        "/api/v1/users/me",
        &user,
        json!({"password": gridlink_test_support::PASSWORD}),
    )
    .await;
    assert_eq!(deleted, 202);
    let since = Instant::now();
    let profile_gone = shown_after(&stack, &profile, since, |s, _| s == 404).await;
    let grid_gone = shown_after(
        &stack,
        &format!("/api/v1/grids/{grid}/page"),
        since,
        |s, _| s == 404,
    )
    .await;
    figures::record(
        "pages-deletion",
        json!({"grid_deleted_page_404_ms": millis(took), "account_deleted_profile_404_ms": millis(profile_gone),
               "account_deleted_grid_page_404_ms": millis(grid_gone)}),
    );
    assert!(profile_gone.max(grid_gone) < Duration::from_secs(1));
}

#[tokio::test]
async fn with_the_broker_cut_off_a_cached_page_is_stale_for_at_most_its_ttl() {
    let ttl = Duration::from_secs(3);
    let proxy = Proxy::start("127.0.0.1:5672".parse().unwrap()).await;
    let stack = cached(
        ttl,
        REDIS,
        Some(format!("amqp://guest:guest@{}/%2f", proxy.addr)),
    )
    .await;
    let user = signup(&stack.client, &stack.auth.url, "offline").await;
    let grid = create_grid(&stack, &stack.grids.url, &user.access_token, "before").await;
    let path = format!("/api/v1/grids/{grid}/page");
    cache(&stack, &path).await;

    proxy.cut();
    let status = send(
        &stack,
        Method::PATCH,
        &format!("/api/v1/grids/{grid}"),
        &user,
        json!({"title": "after"}),
    )
    .await;
    assert_eq!(status, 200, "writes go on while the broker is down");
    let since = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, cache, stale) = page(&stack, &path).await;
    assert_eq!(
        (cache.as_deref(), &stale["grid"]["title"]),
        (Some("hit"), &json!("before")),
        "no event, no invalidation"
    );
    let took = shown_after(&stack, &path, since, |s, body| {
        s == 200 && body["grid"]["title"] == "after"
    })
    .await;
    proxy.restore();
    figures::record(
        "pages-broker-down",
        json!({"ttl_ms": millis(ttl), "stale_for_ms": millis(took)}),
    );
    assert!(
        took <= ttl + Duration::from_millis(500),
        "stale for {took:?}, the TTL is {ttl:?}"
    );
}

#[tokio::test]
async fn a_cached_page_never_outlives_a_links_window() {
    let stack = cached(Duration::from_secs(60), REDIS, None).await;
    let user = signup(&stack.client, &stack.auth.url, "timed").await;
    let grid = create_grid(&stack, &stack.grids.url, &user.access_token, "g").await;
    let soon = |ms| (chrono::Utc::now() + chrono::Duration::milliseconds(ms)).to_rfc3339();
    let body = json!({"grid": grid, "title": "closing", "url": "https://example.com", "ends_at": soon(1500)});
    assert_eq!(
        send(&stack, Method::POST, "/api/v1/links", &user, body).await,
        201
    );
    let body = json!({"grid": grid, "title": "opening", "url": "https://example.com", "starts_at": soon(1500)});
    assert_eq!(
        send(&stack, Method::POST, "/api/v1/links", &user, body).await,
        201
    );
    let path = format!("/api/v1/grids/{grid}/page");
    cache(&stack, &path).await;
    let (_, cached, before) = page(&stack, &path).await;
    assert_eq!(
        (cached.as_deref(), titles(&before["links"])),
        (Some("hit"), vec!["closing"])
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, _, after) = page(&stack, &path).await;
    assert_eq!(
        titles(&after["links"]),
        ["opening"],
        "the window moved with no event at all"
    );
}

#[tokio::test]
async fn a_matching_etag_is_a_304_without_a_backend_call() {
    let stack = cached(Duration::from_secs(60), REDIS, None).await;
    let user = signup(&stack.client, &stack.auth.url, "tagged").await;
    create_grid(&stack, &stack.grids.url, &user.access_token, "g").await;
    let url = format!("{}/api/v1/profiles/tagged", stack.edge());
    // Auth also answers the verifiers' background reads; grids and links
    // answer only requests.
    let served = async || {
        stack.grids.requests_served(&stack.client).await
            + stack.links.requests_served(&stack.client).await
    };
    // The setup's own writes are still being announced: an invalidation
    // arriving late can drop the entry between two reads, and the page is
    // then revalidated from the backends (rightly). The claim is about a
    // revalidation the cache answers, so the reads start over until one is.
    let started = Instant::now();
    let (revalidated, before) = loop {
        cache(&stack, "/api/v1/profiles/tagged").await;
        let first = stack.client.get(&url).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "a strong ETag: {etag}"
        );
        assert!(
            first.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("must-revalidate")
        );
        let before = served().await;
        let revalidated = stack
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304);
        assert_eq!(revalidated.headers()["etag"].to_str().unwrap(), etag);
        if revalidated.headers()["x-cache"] == "hit" {
            break (revalidated, before);
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a revalidation is never answered from the cache"
        );
    };
    assert!(revalidated.bytes().await.unwrap().is_empty());
    assert_eq!(served().await, before, "no backend call");
    let other = stack
        .client
        .get(&url)
        .header("if-none-match", "\"something else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn a_redis_outage_costs_the_cache_and_nothing_else() {
    let proxy = Proxy::start(REDIS.parse().unwrap()).await;
    let stack = cached(Duration::from_secs(60), &proxy.addr.to_string(), None).await;
    let user = signup(&stack.client, &stack.auth.url, "sturdy").await;
    create_grid(&stack, &stack.grids.url, &user.access_token, "g").await;
    let path = "/api/v1/profiles/sturdy";
    cache(&stack, path).await;
    proxy.cut();
    let mut failures = 0;
    for _ in 0..50 {
        let (status, cache, body) = page(&stack, path).await;
        if status != 200 || body["user"]["username"] != "sturdy" || cache.as_deref() != Some("miss")
        {
            failures += 1;
        }
    }
    proxy.restore();
    assert_eq!(
        failures, 0,
        "every request answered from the backends while Redis was away"
    );
    let back = async || page(&stack, path).await.1.as_deref() == Some("hit");
    stack
        .eventually(Duration::from_secs(10), "the cache is back", back)
        .await;
}

#[tokio::test]
async fn a_large_page_is_sent_compressed_as_the_client_asks() {
    let stack = cached(Duration::from_secs(60), REDIS, None).await;
    let user = signup(&stack.client, &stack.auth.url, "wordy").await;
    let grid = create_grid(&stack, &stack.grids.url, &user.access_token, "g").await;
    for i in 0..20 {
        create_link(
            &stack,
            &stack.links.url,
            &user.access_token,
            &grid,
            &format!("link number {i}"),
        )
        .await;
    }
    let path = "/api/v1/profiles/wordy";
    cache(&stack, path).await;
    let url = format!("{}{path}", stack.edge());
    let get = async |accept: &str| {
        let response = stack
            .client
            .get(&url)
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["vary"], "Accept-Encoding");
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (encoding, etag, response.bytes().await.unwrap())
    };
    let (plain_encoding, plain_etag, plain) = get("identity").await;
    assert_eq!(plain_encoding, None);
    assert!(
        plain.len() > 1024,
        "a page worth compressing: {} bytes",
        plain.len()
    );

    let (encoding, gzip_etag, gzipped) = get("gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain);

    let (encoding, br_etag, compressed) = get("gzip, deflate, br").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    let mut unbrotlied = Vec::new();
    brotli::BrotliDecompress(&mut &compressed[..], &mut unbrotlied).unwrap();
    assert_eq!(unbrotlied, plain);
    assert!(compressed.len() < plain.len() / 3);
    assert!(
        plain_etag != gzip_etag && gzip_etag != br_etag,
        "each representation has its own ETag"
    );
}
