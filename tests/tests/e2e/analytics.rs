//! Visit counting end to end: clicks through the gateway's `/r/{slug}` and
//! page views reach the analytics service in batches and are counted
//! exactly; the owner's own visits are not counted, bots are counted apart,
//! a redelivered batch counts once, and nobody but the owner reads them.

use std::time::Duration;

use gridlink_e2e::accounts::{create_grid, create_link};
use gridlink_e2e::qr::decoded;
use gridlink_e2e::stack::{Options, Stack};
use gridlink_events::{Device, Event, LinksClicked, Visit};
use gridlink_test_support::{User, signup};
use reqwest::Method;
use serde_json::Value;

async fn stack() -> Stack {
    Stack::start_options(Options {
        analytics: true,
        gateway: Some(Box::new(|config: &mut gateway::Config| {
            config.anonymous.limit = 1_000_000_000;
            config.users.limit = 1_000_000_000;
        })),
        ..Options::default()
    })
    .await
}

async fn summary(stack: &Stack, owner: &User) -> Value {
    let response = stack
        .request(
            stack.edge(),
            Method::GET,
            "/api/v1/stats/summary",
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A visitor's request for `/r/{slug}?src=qr`, coming from a news site's page.
fn click(stack: &Stack, slug: &str, agent: &str) -> reqwest::RequestBuilder {
    static VISITOR: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = VISITOR.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    });
    client
        .get(format!("{}/r/{slug}?src=qr", stack.edge()))
        .header("user-agent", agent)
        .header("referer", "https://News.Example.org/some/path?q=secret")
}

async fn follow(stack: &Stack, slug: &str, agent: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = click(stack, slug, agent);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

const VISITORS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15",
];
const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

#[tokio::test]
async fn clicks_and_views_are_counted_exactly_without_the_owner_or_bots() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "counted").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "counted grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "counted").await;

    // Three visitors click 4 times each, a bot twice, the owner 5 times.
    for agent in VISITORS {
        for _ in 0..4 {
            let response = follow(&stack, &link, agent, None).await;
            assert_eq!(response.status(), 302);
            assert_eq!(
                response.headers()["location"],
                "https://example.com/",
                "only the link's own URL"
            );
        }
    }
    for _ in 0..2 {
        assert_eq!(follow(&stack, &link, BOT, None).await.status(), 302);
    }
    for _ in 0..5 {
        let response = follow(&stack, &link, VISITORS[0], Some(&owner.access_token)).await;
        assert_eq!(response.status(), 302);
    }
    // Two views of the profile and one of the grid page, and the owner's own.
    for path in [
        "/api/v1/profiles/counted".to_owned(),
        "/api/v1/profiles/counted".to_owned(),
        format!("/api/v1/grids/{grid}/page"),
    ] {
        let response = stack
            .client
            .get(format!("{}{path}", stack.edge()))
            .header("user-agent", VISITORS[2])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let own = stack
        .client
        .get(format!("{}/api/v1/profiles/counted", stack.edge()))
        .header("user-agent", VISITORS[2])
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);

    stack
        .eventually(
            Duration::from_secs(10),
            "every visit is counted",
            async || {
                let s = summary(&stack, &owner).await;
                s["clicks"] == 12 && s["views"] == 3
            },
        )
        .await;
    // Nothing more arrives later: the counts are exact, not "at least".
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = summary(&stack, &owner).await;
    assert_eq!(
        (s["clicks"].as_i64(), s["views"].as_i64()),
        (Some(12), Some(3))
    );
    assert_eq!(s["ctr"].as_f64(), Some(4.0));
    assert_eq!(
        s["unique_visitors"], 3,
        "three browsers (one also read the pages), not the bot"
    );
    assert_eq!(s["top_links"][0]["link"], link.as_str());

    let stats = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!("/api/v1/stats/links/{link}?tz=Europe/Paris"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(stats.status(), 200);
    let stats: Value = stats.json().await.unwrap();
    let series = stats["series"].as_array().unwrap();
    assert_eq!(series.len(), 30, "a slot per day of the default range");
    let clicks: i64 = series.iter().map(|s| s["clicks"].as_i64().unwrap()).sum();
    assert_eq!(clicks, 12);
    assert_eq!(stats["sources"][0]["value"], "qr");
    assert_eq!(stats["referrers"][0]["value"], "news.example.org");
    assert_eq!(stats["referrers"][0]["clicks"], 12);

    let grid_stats = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!("/api/v1/stats/grids/{grid}?interval=hour&tz=Asia/Kolkata"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(grid_stats.status(), 200);
    let grid_stats: Value = grid_stats.json().await.unwrap();
    let hours = grid_stats["series"].as_array().unwrap();
    assert_eq!(hours.len(), 30 * 24, "a slot per hour of the default range");
    let sum = |field: &str| -> i64 { hours.iter().map(|h| h[field].as_i64().unwrap()).sum() };
    assert_eq!(
        (sum("views"), sum("clicks")),
        (1, 12),
        "the grid page's view"
    );
    assert!(
        hours
            .iter()
            .all(|h| h["start"].as_str().unwrap().contains(":30:00")),
        "Kolkata's hours begin at half past UTC hours"
    );
    assert_eq!(grid_stats["links"][0]["link"], link.as_str());

    let csv = stack
        .request(
            stack.edge(),
            Method::GET,
            "/api/v1/stats/export.csv",
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "day,link,grid,clicks,bot_clicks".to_owned(),
            format!("{today},{link},{grid},12,2"),
        ],
        "one row per link and day, bots apart"
    );

    // Nobody else reads them, and nothing of an address is kept.
    let other = signup(&stack.client, stack.edge(), "curious").await;
    let theirs = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!("/api/v1/stats/links/{link}"),
            Some(&other.access_token),
            None,
        )
        .await;
    assert_eq!(theirs.status(), 404);
    let analytics = stack.analytics.as_ref().unwrap();
    for (table, column) in [("visitors", "visitor"), ("link_facets", "value")] {
        let leaked = stack
            .count(
                analytics,
                &format!("SELECT count(*) AS n FROM {table} WHERE {column} LIKE '%127.0.0.1%' OR {column} LIKE '%Mozilla%' OR {column} LIKE '%secret%'"),
            )
            .await;
        assert_eq!(
            leaked, 0,
            "{table} keeps no address, agent or referrer path"
        );
    }
}

#[tokio::test]
async fn a_redelivered_batch_counts_once_and_a_reset_link_starts_from_zero() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "batched").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "batched grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "batched").await;
    let visits: Vec<Visit> = (0..7)
        .map(|i| Visit {
            at: chrono::Utc::now(),
            owner: owner.id.parse().unwrap(),
            grid: Some(grid.parse().unwrap()),
            link: Some(link.parse().unwrap()),
            visitor: format!("{i:032x}"),
            source: None,
            referrer: None,
            device: Device::Desktop,
            count: 1,
        })
        .collect();
    let batch = serde_json::to_vec(&LinksClicked::new(visits)).unwrap();
    for _ in 0..3 {
        stack
            .publish_raw(LinksClicked::TYPE, LinksClicked::TYPE, &batch)
            .await;
    }
    stack
        .eventually(
            Duration::from_secs(10),
            "the batch is counted",
            async || summary(&stack, &owner).await["clicks"] == 7,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        summary(&stack, &owner).await["clicks"],
        7,
        "three deliveries, one count"
    );

    let reset = stack
        .request(
            stack.edge(),
            Method::DELETE,
            &format!("/api/v1/stats/links/{link}"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(reset.status(), 204);
    assert_eq!(summary(&stack, &owner).await["clicks"], 0);
    // A late copy of the old batch (a fresh id) counts nothing: its clicks
    // came before the reset.
    let late: LinksClicked = serde_json::from_slice(&batch).unwrap();
    let late = LinksClicked::new(late.visits);
    stack
        .publish_raw(
            LinksClicked::TYPE,
            LinksClicked::TYPE,
            &serde_json::to_vec(&late).unwrap(),
        )
        .await;
    assert_eq!(follow(&stack, &link, VISITORS[1], None).await.status(), 302);
    stack
        .eventually(
            Duration::from_secs(10),
            "the new click is counted",
            async || summary(&stack, &owner).await["clicks"] == 1,
        )
        .await;
}

#[tokio::test]
async fn only_live_links_on_visible_grids_redirect_and_nothing_else_is_counted() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "hidden").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "hidden grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "hidden").await;
    let disable = stack
        .request(
            stack.edge(),
            Method::PATCH,
            &format!("/api/v1/links/{link}"),
            Some(&owner.access_token),
            Some(&serde_json::json!({"enabled": false})),
        )
        .await;
    assert_eq!(disable.status(), 200);
    assert_eq!(follow(&stack, &link, VISITORS[0], None).await.status(), 404);
    assert_eq!(
        follow(
            &stack,
            "li_00000000000000000000000000000000",
            VISITORS[0],
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        follow(&stack, "not-a-slug", VISITORS[0], None)
            .await
            .status(),
        404
    );
    let bad_source = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!("/r/{link}?src=Not%20Valid"),
            None,
            None,
        )
        .await;
    assert_eq!(bad_source.status(), 400);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(summary(&stack, &owner).await["clicks"], 0);
}

#[tokio::test]
async fn qr_codes_decode_to_the_public_url_with_src_qr() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "scanned").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "scanned grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "scanned").await;
    for (path, url) in [
        (
            format!("/api/v1/links/{link}/qr"),
            format!("http://127.0.0.1:8080/r/{link}?src=qr"),
        ),
        (
            "/api/v1/profiles/Scanned/qr".to_owned(),
            "http://127.0.0.1:8080/scanned?src=qr".to_owned(),
        ),
    ] {
        for (extension, content_type) in [("png", "image/png"), ("svg", "image/svg+xml")] {
            let response = stack
                .request(
                    stack.edge(),
                    Method::GET,
                    &format!("{path}.{extension}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(response.status(), 200, "{path}.{extension}");
            assert_eq!(response.headers()["content-type"], content_type);
            let image = response.bytes().await.unwrap();
            assert_eq!(decoded(&image, extension), url, "{path}.{extension}");
        }
    }
    for missing in [
        "/api/v1/profiles/nobody_here/qr.png".to_owned(),
        "/api/v1/links/li_00000000000000000000000000000000/qr.svg".to_owned(),
    ] {
        let response = stack
            .request(stack.edge(), Method::GET, &missing, None, None)
            .await;
        assert_eq!(response.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn deleted_links_grids_and_accounts_have_their_counts_erased() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "erased").await;
    let token = owner.access_token.as_str();
    let grid = create_grid(&stack, stack.edge(), token, "erased grid").await;
    let kept = create_link(&stack, stack.edge(), token, &grid, "kept").await;
    let dropped = create_link(&stack, stack.edge(), token, &grid, "dropped").await;
    let other_grid = create_grid(&stack, stack.edge(), token, "dropped grid").await;
    let on_other = create_link(&stack, stack.edge(), token, &other_grid, "on it").await;
    for link in [&kept, &dropped, &dropped, &on_other] {
        assert_eq!(follow(&stack, link, VISITORS[0], None).await.status(), 302);
    }
    let page = stack
        .client
        .get(format!("{}/api/v1/grids/{other_grid}/page", stack.edge()))
        .header("user-agent", VISITORS[0])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    stack
        .eventually(
            Duration::from_secs(10),
            "the clicks and the view are counted",
            async || {
                let s = summary(&stack, &owner).await;
                s["clicks"] == 4 && s["views"] == 1
            },
        )
        .await;
    let analytics = stack.analytics.as_ref().unwrap();
    let rows = async |link: &str| {
        stack
            .count(
                analytics,
                &format!("SELECT count(*) AS n FROM link_counts WHERE link = '{link}'"),
            )
            .await
    };

    // A deleted link's counts go; the others stay.
    let gone = stack
        .request(
            stack.edge(),
            Method::DELETE,
            &format!("/api/v1/links/{dropped}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    stack
        .eventually(
            Duration::from_secs(10),
            "the deleted link's clicks are erased",
            async || summary(&stack, &owner).await["clicks"] == 2,
        )
        .await;
    assert_eq!(rows(&dropped).await, 0);
    assert_eq!(rows(&kept).await, 1);

    // A deleted grid's page views and its links' clicks go.
    let gone = stack
        .request(
            stack.edge(),
            Method::DELETE,
            &format!("/api/v1/grids/{other_grid}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    stack
        .eventually(
            Duration::from_secs(10),
            "the deleted grid's counts are erased",
            async || {
                let s = summary(&stack, &owner).await;
                s["clicks"] == 1 && s["views"] == 0
            },
        )
        .await;
    assert_eq!(rows(&on_other).await, 0);

    // And the account's, with a receipt.
    let deleted = stack
        .request(
            stack.edge(),
            Method::DELETE,
            "/api/v1/users/me",
            Some(&owner.access_token),
            Some(&serde_json::json!({"password": gridlink_test_support::PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status(), 202);
    let erasure = async || -> Value {
        stack
            .client
            .get(format!(
                "{}/internal/v1/users/{}/erasure",
                stack.auth.url, owner.id
            ))
            .bearer_auth(gridlink_test_support::GATEWAY_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    stack
        .eventually(
            Duration::from_secs(10),
            "every service confirms",
            async || erasure().await["complete"] == true,
        )
        .await;
    let confirmed: Vec<String> = erasure().await["confirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap().to_owned())
        .collect();
    assert!(confirmed.contains(&"analytics".to_owned()), "{confirmed:?}");
    for table in ["link_counts", "visitors", "link_facets"] {
        let left = stack
            .count(
                analytics,
                &format!(
                    "SELECT count(*) AS n FROM {table} WHERE owner = '{}'",
                    owner.id
                ),
            )
            .await;
        assert_eq!(left, 0, "{table} keeps nothing of the deleted account");
    }
}

#[tokio::test]
async fn clicks_made_while_the_gateway_cannot_reach_the_broker_are_all_counted() {
    let proxy = gridlink_e2e::proxy::Proxy::start("127.0.0.1:5672".parse().unwrap()).await;
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let stack = Stack::start_options(Options {
        analytics: true,
        gateway: Some(Box::new(move |config: &mut gateway::Config| {
            config.anonymous.limit = 1_000_000_000;
            if let Some(events) = config.kit.events.as_mut() {
                events.url = gridlink_config::Secret::new(via_proxy);
            }
        })),
        ..Options::default()
    })
    .await;
    let owner = signup(&stack.client, stack.edge(), "unbroken").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "unbroken grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "unbroken").await;

    // 300 clicks, the middle 100 with the gateway's broker connection cut.
    let mut clicked = 0;
    for phase in 0..3 {
        if phase == 1 {
            proxy.cut();
        }
        for _ in 0..100 {
            assert_eq!(follow(&stack, &link, VISITORS[0], None).await.status(), 302);
            clicked += 1;
        }
        if phase == 1 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            proxy.restore();
        }
    }
    stack
        .eventually(
            Duration::from_secs(20),
            "every click is counted",
            async || summary(&stack, &owner).await["clicks"] == clicked,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        summary(&stack, &owner).await["clicks"],
        clicked,
        "none twice"
    );
}

#[tokio::test]
async fn days_and_hours_are_the_owner_s_own_across_a_dst_change() {
    let stack = stack().await;
    let owner = signup(&stack.client, stack.edge(), "zoned").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "zoned grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "zoned").await;
    // Paris moves from UTC+1 to UTC+2 at 01:00 UTC on 2026-03-29: that
    // local day has 23 hours.
    let at = [
        "2026-03-28T22:30:00Z", // 23:30 on the 28th in Paris
        "2026-03-28T23:30:00Z", // 00:30 on the 29th in Paris, still the 28th in UTC
        "2026-03-29T00:30:00Z", // 01:30 CET
        "2026-03-29T01:30:00Z", // 03:30 CEST
        "2026-03-29T21:30:00Z", // 23:30 CEST on the 29th
        "2026-03-29T22:30:00Z", // 00:30 on the 30th in Paris
    ];
    let visits = at
        .iter()
        .enumerate()
        .map(|(i, at)| Visit {
            at: at.parse().unwrap(),
            owner: owner.id.parse().unwrap(),
            grid: Some(grid.parse().unwrap()),
            link: Some(link.parse().unwrap()),
            visitor: format!("{i:032x}"),
            source: None,
            referrer: None,
            device: Device::Mobile,
            count: 1,
        })
        .collect();
    let batch = serde_json::to_vec(&LinksClicked::new(visits)).unwrap();
    stack
        .publish_raw(LinksClicked::TYPE, LinksClicked::TYPE, &batch)
        .await;
    let series = async |query: &str| -> Vec<(String, i64)> {
        let response = stack
            .request(
                stack.edge(),
                Method::GET,
                &format!("/api/v1/stats/links/{link}?from=2026-03-28&to=2026-03-30&{query}"),
                Some(&owner.access_token),
                None,
            )
            .await;
        assert_eq!(response.status(), 200, "{query}");
        let stats: Value = response.json().await.unwrap();
        stats["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["start"].as_str().unwrap().to_owned(),
                    s["clicks"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    stack
        .eventually(
            Duration::from_secs(10),
            "the batch is counted",
            async || series("tz=UTC").await.iter().map(|s| s.1).sum::<i64>() == 6,
        )
        .await;
    let start = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let paris = series("tz=Europe/Paris").await;
    assert_eq!(
        paris
            .iter()
            .map(|(s, n)| (start(s), *n))
            .collect::<Vec<_>>(),
        [
            (start("2026-03-27T23:00:00Z"), 1),
            (start("2026-03-28T23:00:00Z"), 4),
            (start("2026-03-29T22:00:00Z"), 1),
        ],
        "local midnights, before and after the change"
    );
    let utc: Vec<i64> = series("tz=UTC").await.iter().map(|s| s.1).collect();
    assert_eq!(utc, [2, 4, 0], "the same clicks by UTC days");
    let hours = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!(
                "/api/v1/stats/links/{link}?from=2026-03-29&to=2026-03-29&tz=Europe/Paris&interval=hour"
            ),
            Some(&owner.access_token),
            None,
        )
        .await;
    let hours: Value = hours.json().await.unwrap();
    let hours = hours["series"].as_array().unwrap();
    assert_eq!(hours.len(), 23, "the day of the change has 23 hours");
    let clicks: i64 = hours.iter().map(|h| h["clicks"].as_i64().unwrap()).sum();
    assert_eq!(clicks, 4);
    let bad = stack
        .request(
            stack.edge(),
            Method::GET,
            &format!("/api/v1/stats/links/{link}?tz=Mars/Olympus"),
            Some(&owner.access_token),
            None,
        )
        .await;
    assert_eq!(bad.status(), 400);

    // Without `to`, the range ends on the zone's today. At any UTC hour one
    // of these two is on another date than UTC (they are 26 hours apart).
    // (`%2B` is the `+` of Etc/GMT+12, UTC-12.)
    for zone in ["Pacific/Kiritimati", "Etc/GMT%2B12"] {
        let response = stack
            .request(
                stack.edge(),
                Method::GET,
                &format!("/api/v1/stats/links/{link}?tz={zone}"),
                Some(&owner.access_token),
                None,
            )
            .await;
        assert_eq!(response.status(), 200, "{zone}");
        let stats: Value = response.json().await.unwrap();
        let last = stats["series"].as_array().unwrap().last().unwrap()["start"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap();
        let now = chrono::Utc::now();
        assert!(
            last <= now && now < last + chrono::Duration::days(1),
            "in {zone} the last day begins at {last}, and now is {now}"
        );
    }
}

#[tokio::test]
async fn a_killed_gateway_loses_at_most_its_last_moments_of_clicks() {
    let flush = Duration::from_millis(20);
    let stack = Stack::start_options(Options {
        analytics: true,
        gateway_in_child: Some(vec![
            ("SPOOL_BATCH", "20".to_owned()),
            ("SPOOL_FLUSH_MS", flush.as_millis().to_string()),
            // The visitors come through a proxy the gateway trusts, and it
            // logs all it can: neither their address nor their user agent
            // may show.
            ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            ("RUST_LOG", "debug".to_owned()),
        ]),
        ..Options::default()
    })
    .await;
    let gateway = stack.gateway.as_ref().unwrap();
    let up = async || {
        stack
            .client
            .get(format!("{}/readyz", gateway.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    stack
        .eventually(Duration::from_secs(20), "the gateway is ready", up)
        .await;
    let owner = signup(&stack.client, stack.edge(), "killed").await;
    let grid = create_grid(&stack, stack.edge(), &owner.access_token, "killed grid").await;
    let link = create_link(&stack, stack.edge(), &owner.access_token, &grid, "killed").await;

    const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) Traceable/42.4242";
    let from = async |address: &str| {
        let response = click(&stack, &link, AGENT)
            .header("x-forwarded-for", address)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
    };
    let mut acknowledged = Vec::new();
    from("198.51.100.78").await;
    acknowledged.push(std::time::Instant::now());
    for _ in 0..299 {
        from("198.51.100.77").await;
        acknowledged.push(std::time::Instant::now());
    }
    gateway.kill();
    let killed = std::time::Instant::now();
    // The documented bound: the last flush interval's clicks plus the batch
    // awaiting its confirm (here, a generous 250 ms of clicks plus a batch).
    let recent = acknowledged
        .iter()
        .filter(|at| killed.duration_since(**at) < Duration::from_millis(250))
        .count();
    gateway.restart();
    stack
        .eventually(Duration::from_secs(20), "the gateway is back", up)
        .await;
    let mut counted = summary(&stack, &owner).await["clicks"].as_i64().unwrap();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = summary(&stack, &owner).await["clicks"].as_i64().unwrap();
        if now == counted {
            break;
        }
        counted = now;
    }
    let lost = acknowledged.len() as i64 - counted;
    println!(
        "killed gateway: {} clicks answered, {counted} counted, {lost} lost; \
         {recent} were answered in the last 250 ms",
        acknowledged.len()
    );
    assert!(lost >= 0, "a click was counted twice");
    assert!(
        lost <= recent as i64 + 20,
        "lost {lost}: more than the last moments' {recent} clicks and a batch"
    );

    assert_eq!(
        summary(&stack, &owner).await["unique_visitors"],
        2,
        "the two addresses are two visitors"
    );
    let port = gateway.url.rsplit(':').next().unwrap();
    let log = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../target/test-logs/gateway-{port}.log")),
    )
    .unwrap();
    assert!(
        log.contains("request completed"),
        "the log is the gateway's"
    );
    for secret in ["198.51.100.7", "Traceable"] {
        assert!(!log.contains(secret), "the gateway logged {secret}");
    }
    let analytics = stack.analytics.as_ref().unwrap();
    for table in ["visitors", "link_facets", "link_counts"] {
        let kept = stack
            .count(
                analytics,
                &format!(
                    "SELECT count(*) AS n FROM {table} t \
                     WHERE t::text LIKE '%198.51.100%' OR t::text LIKE '%Traceable%'"
                ),
            )
            .await;
        assert_eq!(kept, 0, "{table} keeps neither the address nor the agent");
    }
}
