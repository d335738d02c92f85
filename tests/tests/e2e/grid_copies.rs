//! The links service's copy of grid owners and visibility: with `grid.changed`
//! feeding it, a link read is one statement and no call to grids (it answers
//! with grids down); a grid made private hides its links within a second;
//! and while the feed is cut off, every read asks grids again, so a change
//! shows at once.

use std::time::{Duration, Instant};

use gridlink_e2e::accounts::{create_grid, create_link};
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::{BrokerUrls, Options, Stack};
use gridlink_test_support::{User, signup, statements_for};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A stack whose links service believes its copy as soon as its consumers
/// connect (production waits 10 s), its broker reached at `links_broker`.
async fn stack(links_broker: Option<String>) -> Stack {
    Stack::start_options(Options {
        brokers: links_broker.map_or_else(BrokerUrls::default, |links| BrokerUrls {
            links,
            ..BrokerUrls::default()
        }),
        links: Some(Box::new(|config: &mut links::Config| {
            config.grid_copies.settle = Duration::ZERO;
        })),
        ..Options::default()
    })
    .await
}

async fn status(stack: &Stack, path: &str, token: Option<&str>) -> StatusCode {
    stack
        .request(&stack.links.url, Method::GET, path, token, None)
        .await
        .status()
}

async fn set_visibility(stack: &Stack, owner: &User, grid: &str, visibility: &str) {
    let body = json!({"visibility": visibility});
    let response = stack
        .request(
            &stack.grids.url,
            Method::PATCH,
            &format!("/api/v1/grids/{grid}"),
            Some(&owner.access_token),
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), 200);
}

/// A public grid with one link, its copy filled in by a read after the
/// grid's own `grid.changed` (its creation) was consumed.
async fn shared_link(stack: &Stack, owner: &User) -> (String, String) {
    let grid = create_grid(stack, &stack.grids.url, &owner.access_token, "shared").await;
    let link = create_link(stack, &stack.links.url, &owner.access_token, &grid, "one").await;
    let path = format!("/api/v1/links/{link}");
    stack
        .eventually(Duration::from_secs(5), "the copy is believed", async || {
            let before = stack.grids.requests_served(&stack.client).await;
            let ok = status(stack, &path, None).await == StatusCode::OK;
            ok && stack.grids.requests_served(&stack.client).await == before
        })
        .await;
    (grid, link)
}

#[tokio::test]
async fn a_link_read_is_one_statement_and_answers_with_the_grids_service_down() {
    let stack = stack(None).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let (grid, link) = shared_link(&stack, &alice).await;

    let path = format!("/api/v1/links/{link}");
    let grids_before = stack.grids.requests_served(&stack.client).await;
    let n = statements_for(&stack.client, &stack.links, || {
        stack.request(&stack.links.url, Method::GET, &path, None, None)
    })
    .await;
    assert_eq!(n, 1, "a link read ran {n} statements");
    assert_eq!(
        stack.grids.requests_served(&stack.client).await,
        grids_before,
        "and asked nothing of grids"
    );

    stack.grids.stop();
    assert_eq!(status(&stack, &path, None).await, StatusCode::OK);
    assert_eq!(
        status(&stack, &format!("/api/v1/links?grid={grid}"), None).await,
        StatusCode::OK,
        "the grid's listing too"
    );
}

#[tokio::test]
async fn a_grid_made_private_hides_its_links_within_a_second() {
    let stack = stack(None).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let (grid, link) = shared_link(&stack, &alice).await;
    let path = format!("/api/v1/links/{link}");

    set_visibility(&stack, &alice, &grid, "private").await;
    let changed = Instant::now();
    stack
        .eventually(Duration::from_secs(1), "the link is hidden", async || {
            status(&stack, &path, None).await == StatusCode::NOT_FOUND
        })
        .await;
    eprintln!("hidden {:?} after the change", changed.elapsed());
    assert_eq!(
        status(&stack, &path, Some(&alice.access_token)).await,
        StatusCode::OK,
        "its owner still sees it"
    );
}

#[tokio::test]
async fn with_the_links_service_cut_off_from_the_broker_every_read_asks_grids() {
    let proxy = Proxy::start("127.0.0.1:5672".parse().unwrap()).await;
    let stack = stack(Some(format!("amqp://guest:guest@{}/%2f", proxy.addr))).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let (grid, link) = shared_link(&stack, &alice).await;
    let path = format!("/api/v1/links/{link}");

    proxy.cut();
    let readyz = format!("{}/readyz", stack.links.url);
    stack
        .eventually(
            Duration::from_secs(10),
            "links sees the broker gone",
            async || {
                stack
                    .client
                    .get(&readyz)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 503)
            },
        )
        .await;
    // grids still publishes; the event waits in the links service's queue.
    set_visibility(&stack, &alice, &grid, "private").await;
    assert_eq!(
        status(&stack, &path, None).await,
        StatusCode::NOT_FOUND,
        "hidden at once, without the event"
    );

    proxy.restore();
    stack.wait_ready(Duration::from_secs(15)).await;
    set_visibility(&stack, &alice, &grid, "public").await;
    stack
        .eventually(Duration::from_secs(1), "shown again", async || {
            status(&stack, &path, None).await == StatusCode::OK
        })
        .await;
}
