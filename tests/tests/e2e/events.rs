//! User deletion fans out over RabbitMQ, and nothing is lost on the way.

use std::time::Duration;

use gridlink_e2e::accounts::{create_grid, create_link, delete_account, rows_left, user_with_data};
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::{AMQP, BrokerUrls, Stack};
use gridlink_test_support::{GATEWAY_TOKEN, Running, User, signup};
use reqwest::Method;
use serde_json::{Value, json};

const FANOUT: Duration = Duration::from_secs(15);

/// The value of a metric line starting with `prefix` on a service's /metrics.
async fn metric(stack: &Stack, service: &Running, prefix: &str) -> f64 {
    let text = stack
        .client
        .get(format!("{}/metrics", service.admin_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

async fn erasure(stack: &Stack, user: &User) -> Value {
    stack
        .client
        .get(format!(
            "{}/internal/v1/users/{}/erasure",
            stack.auth.url, user.id
        ))
        .bearer_auth(GATEWAY_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_a_user_erases_their_data_everywhere_with_proof() {
    let stack = Stack::start().await;
    let alice = user_with_data(&stack, "alice").await;
    let bob = user_with_data(&stack, "bob").await;
    assert_eq!(rows_left(&stack, &alice).await, 2 + 4);
    // A link read makes the links service keep a copy of its grid's owner.
    let grid = create_grid(&stack, &stack.grids.url, &alice.access_token, "read").await;
    let link = create_link(&stack, &stack.links.url, &alice.access_token, &grid, "read").await;
    let copies = format!(
        "SELECT count(*) AS n FROM grid_copies WHERE owner = '{}'",
        alice.id
    );
    // Links keeps each grid's first links rendered, under their owner.
    let heads = format!(
        "SELECT count(*) AS n FROM public_heads WHERE owner = '{}'",
        alice.id
    );
    assert_eq!(stack.count(&stack.links, &heads).await, 3);
    stack
        .eventually(FANOUT, "links keeps a copy of alice's grid", async || {
            let path = format!("/api/v1/links/{link}");
            let read = stack.request(&stack.links.url, Method::GET, &path, None, None);
            read.await.status() == 200 && stack.count(&stack.links, &copies).await == 1
        })
        .await;

    delete_account(&stack, &alice).await;
    let took = stack
        .eventually(
            FANOUT,
            "alice's grids, links, copies and heads are gone",
            async || {
                rows_left(&stack, &alice).await == 0
                    && stack.count(&stack.links, &copies).await == 0
                    && stack.count(&stack.links, &heads).await == 0
            },
        )
        .await;
    println!("fan-out to both services took {took:?}");
    stack
        .eventually(FANOUT, "auth records both confirmations", async || {
            erasure(&stack, &alice).await["complete"] == true
        })
        .await;
    let status = erasure(&stack, &alice).await;
    let services: Vec<&str> = status["confirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["grids", "links"]);
    assert_eq!(status["pending"], json!([]));

    assert_eq!(
        rows_left(&stack, &bob).await,
        6,
        "nobody else's data is touched"
    );
    let queue = stack.events.queue("grids.user-deleted");
    let acks = metric(
        &stack,
        &stack.grids,
        &format!("consumer_acks_total{{queue=\"{queue}\""),
    )
    .await;
    assert_eq!(acks, 1.0, "the grids consumer acknowledged the one event");
    assert!(metric(&stack, &stack.auth, "outbox_published_total").await >= 1.0);
    assert_eq!(
        stack
            .count(
                &stack.auth,
                "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND event_type = 'user.deleted.v1'"
            )
            .await,
        0,
        "the outbox drained"
    );
    // Erasure status is only for deleted users.
    let live = stack
        .client
        .get(format!(
            "{}/internal/v1/users/{}/erasure",
            stack.auth.url, bob.id
        ))
        .bearer_auth(GATEWAY_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 404);
}

#[tokio::test]
async fn a_still_valid_token_cannot_write_after_the_deletion() {
    let stack = Stack::start().await;
    let carol = user_with_data(&stack, "carol").await;
    delete_account(&stack, &carol).await;
    stack
        .eventually(FANOUT, "carol's data is gone", async || {
            rows_left(&stack, &carol).await == 0
        })
        .await;
    // The access token is still cryptographically valid for a few minutes.
    let grid = stack
        .client
        .post(format!("{}/api/v1/grids", stack.grids.url))
        .bearer_auth(&carol.access_token)
        .json(&json!({"title": "ghost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(grid.status(), 401);
    assert_eq!(rows_left(&stack, &carol).await, 0);
}

#[tokio::test]
async fn a_deletion_during_a_broker_outage_is_answered_and_erased_later() {
    let upstream = AMQP_ADDR.parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let stack = Stack::start_with(BrokerUrls {
        auth: via_proxy,
        ..BrokerUrls::default()
    })
    .await;
    let dave = user_with_data(&stack, "dave").await;

    proxy.cut();
    stack
        .eventually(
            Duration::from_secs(10),
            "auth reports the broker down",
            async || {
                let r = stack
                    .client
                    .get(format!("{}/readyz", stack.auth.url))
                    .send()
                    .await
                    .unwrap();
                r.status() == 503
            },
        )
        .await;
    delete_account(&stack, &dave).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rows_left(&stack, &dave).await,
        6,
        "nothing can be erased while the broker is unreachable"
    );
    assert_eq!(
        stack
            .count(
                &stack.auth,
                "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND event_type = 'user.deleted.v1'"
            )
            .await,
        1,
        "the event waits in the outbox"
    );

    proxy.restore();
    let took = stack
        .eventually(
            Duration::from_secs(30),
            "dave's data is erased after the broker returns",
            async || rows_left(&stack, &dave).await == 0,
        )
        .await;
    println!("erased {took:?} after the connection returned");
}

const AMQP_ADDR: &str = "127.0.0.1:5672";

#[tokio::test]
async fn the_same_event_twice_erases_once_and_confirms_once() {
    let stack = Stack::start().await;
    let erin = user_with_data(&stack, "erin").await;
    delete_account(&stack, &erin).await;
    stack
        .eventually(FANOUT, "erin's data is gone", async || {
            erasure(&stack, &erin).await["complete"] == true
        })
        .await;

    // The broker redelivers the very same event (a consumer died after its
    // commit and before its ack): it must change nothing.
    let payload: Value = {
        #[derive(diesel::QueryableByName)]
        struct Payload {
            #[diesel(sql_type = diesel::sql_types::Text)]
            payload: String,
        }
        use diesel_async::RunQueryDsl;
        let db = stack.auth.db.as_ref().unwrap();
        let mut conn = gridlink_db::connect(&db.url).await.unwrap();
        let row: Payload = diesel::sql_query(
            "SELECT payload::text AS payload FROM outbox WHERE event_type = 'user.deleted.v1'",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        serde_json::from_str(&row.payload).unwrap()
    };
    // Meanwhile a new user signed up with new data, who must not be touched
    // by the old event.
    let erin2 = user_with_data(&stack, "frank").await;
    for _ in 0..2 {
        stack
            .publish_raw(
                "user.deleted.v1",
                "user.deleted.v1",
                payload.to_string().as_bytes(),
            )
            .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rows_left(&stack, &erin2).await, 6);
    for (service, table) in [(&stack.grids, "outbox"), (&stack.links, "outbox")] {
        let confirmations = stack
            .count(
                service,
                &format!("SELECT count(*) AS n FROM {table} WHERE event_type = 'user.erased.v1'"),
            )
            .await;
        assert_eq!(confirmations, 1, "one erasure confirmation per service");
    }
    assert_eq!(
        stack.queue_depth("grids.user-deleted.dlq").await,
        0,
        "duplicates are not errors"
    );
    assert_eq!(stack.queue_depth("links.user-deleted.dlq").await, 0);
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_and_the_consumer_keeps_going() {
    let stack = Stack::start().await;
    let frank = user_with_data(&stack, "frank").await;
    stack
        .publish_raw("user.deleted.v1", "user.deleted.v1", b"{not json")
        .await;
    stack
        .publish_raw("user.deleted.v1", "user.deleted.v9", br#"{"event_id":"x"}"#)
        .await;
    stack
        .publish_raw(
            "user.deleted.v1",
            "user.deleted.v1",
            br#"{"event_id":"0190a0a0-0000-7000-8000-000000000000","user_id":5}"#,
        )
        .await;
    stack
        .eventually(
            FANOUT,
            "three poison messages dead-lettered per consumer",
            async || {
                stack.queue_depth("grids.user-deleted.dlq").await == 3
                    && stack.queue_depth("links.user-deleted.dlq").await == 3
            },
        )
        .await;
    let queue = stack.events.queue("links.user-deleted");
    let dead = metric(
        &stack,
        &stack.links,
        &format!("consumer_dead_letters_total{{queue=\"{queue}\""),
    )
    .await;
    assert_eq!(dead, 3.0, "every poison message counted as dead-lettered");
    delete_account(&stack, &frank).await;
    stack
        .eventually(FANOUT, "the next good message is processed", async || {
            rows_left(&stack, &frank).await == 0
        })
        .await;
}

#[tokio::test]
async fn two_consumer_replicas_racing_erase_once() {
    let stack = Stack::start().await;
    // A second links replica on the same database and queues.
    let mut config = links::Config::from_env().unwrap();
    config.kit = gridlink_test_support::kit_config(stack.links.db.as_ref());
    config.kit.events = Some(stack.events.clone());
    let replica = links::build(config).await.unwrap();
    let handle = replica.handle();
    tokio::spawn(replica.run_until_stopped());

    let mut users = Vec::new();
    for i in 0..8 {
        users.push(user_with_data(&stack, &format!("racer{i}")).await);
    }
    for user in &users {
        delete_account(&stack, user).await;
    }
    for user in &users {
        stack
            .eventually(FANOUT, "every racer erased", async || {
                erasure(&stack, user).await["complete"] == true
            })
            .await;
        assert_eq!(rows_left(&stack, user).await, 0);
    }
    let confirmations = stack
        .count(
            &stack.links,
            "SELECT count(*) AS n FROM outbox WHERE event_type = 'user.erased.v1'",
        )
        .await;
    assert_eq!(confirmations, 8, "each user erased exactly once by links");
    assert_eq!(stack.queue_depth("links.user-deleted.dlq").await, 0);
    drop(handle.stop(false));
    let _ = AMQP;
}

#[tokio::test]
async fn deleting_a_grid_retires_its_links_through_the_event() {
    let stack = Stack::start().await;
    let gina = signup(&stack.client, &stack.auth.url, "gina").await;
    let token = &gina.access_token;
    let slug = &create_grid(&stack, &stack.grids.url, token, "doomed").await;
    for i in 0..3 {
        create_link(&stack, &stack.links.url, token, slug, &format!("l{i}")).await;
    }
    let deleted = stack
        .client
        .delete(format!("{}/api/v1/grids/{slug}", stack.grids.url))
        .bearer_auth(&gina.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let count = async |query: String| stack.count(&stack.links, &query).await;
    let head = format!("SELECT count(*) AS n FROM public_heads WHERE grid = '{slug}'");
    assert_eq!(
        count(head.clone()).await,
        1,
        "the grid's links are rendered"
    );
    stack
        .eventually(
            FANOUT,
            "the grid's links and head are retired",
            async || {
                let live = format!(
                    "SELECT count(*) AS n FROM links WHERE grid = '{slug}' AND NOT is_deleted"
                );
                count(live).await == 0 && count(head.clone()).await == 0
            },
        )
        .await;
}
