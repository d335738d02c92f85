//! Faults at the process level: a real RabbitMQ node restarted under the
//! services, and the links binary SIGKILLed while it consumes and while the
//! gateway serves it. Each test reports its figures in target/reliability/.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gridlink_e2e::accounts::{
    Erasure, create_grid, create_link, delete_account, rows_left, user_with_data, users_with_data,
};
use gridlink_e2e::broker_node::BrokerNode;
use gridlink_e2e::figures;
use gridlink_e2e::stack::{BrokerUrls, Options, Stack};
use gridlink_test_support::{Running, signup};
use reqwest::Method;
use serde_json::json;

/// Messages a service's consumers received flagged as redelivered: the
/// broker's second try at deliveries a dead process never acknowledged.
async fn redeliveries(stack: &Stack, service: &Running) -> u64 {
    service
        .metric_sum(&stack.client, |line| {
            line.starts_with("consumer_redeliveries_total")
        })
        .await
}

#[tokio::test]
async fn a_broker_restart_is_survived_and_everything_resumes_by_itself() {
    let mut node = BrokerNode::start().await;
    let url = node.url();
    let stack = Arc::new(
        Stack::start_with(BrokerUrls {
            auth: url.clone(),
            grids: url.clone(),
            links: url,
        })
        .await,
    );
    let users = users_with_data(&stack, "restart", 60).await;
    let (before, rest) = users.split_at(10);
    let (during, after) = rest.split_at(40);

    // The events flow through this node before the restart.
    for user in before {
        delete_account(&stack, user).await;
    }
    let (erasure, _) = Erasure::awaited(&stack, before, Duration::from_secs(30)).await;
    assert!(erasure.done(), "erasure before the restart: {erasure:?}");

    node.stop().await;
    let stopped = Instant::now();
    let noticed = stack
        .eventually(
            Duration::from_secs(15),
            "the services report the broker gone",
            async || !stack.all_ready().await,
        )
        .await;
    // Deletions go on being accepted: their events wait in auth's outbox.
    let mut acknowledged = 0;
    for user in during {
        delete_account(&stack, user).await;
        acknowledged += 1;
    }
    let outage = stopped.elapsed();

    let boot = node.start_again().await;
    let restarted = Instant::now();
    let resumed = stack
        .eventually(
            Duration::from_secs(60),
            "every service reconnects by itself",
            async || stack.all_ready().await,
        )
        .await;
    let (erasure, _) = Erasure::awaited(&stack, during, Duration::from_secs(60)).await;
    let drained = restarted.elapsed();
    let lost = erasure.lost(&stack, during).await;
    // New events flow too, not only the backlog.
    for user in after {
        delete_account(&stack, user).await;
    }
    let (erasure_after, _) = Erasure::awaited(&stack, after, Duration::from_secs(30)).await;

    figures::record(
        "fault-broker-restart",
        json!({
            "attempts": during.len(), "acknowledged": acknowledged, "lost": lost,
            "erasures_confirmed": erasure.confirmed,
            "outage_ms": outage.as_millis(),
            "readiness_lost_ms_after_stop": noticed.as_millis(),
            "broker_boot_ms": boot.as_millis(),
            "services_ready_ms_after_broker_up": resumed.as_millis(),
            "backlog_drained_ms_after_broker_up": drained.as_millis(),
            "new_deletions_erased_after": erasure_after.done(),
        }),
    );
    assert_eq!(
        acknowledged,
        during.len(),
        "deletions accepted while the broker was down"
    );
    assert_eq!(lost, 0, "users whose data survived");
    assert!(
        erasure.done(),
        "the backlog is erased and confirmed: {erasure:?}"
    );
    assert!(
        erasure_after.done(),
        "deletions after the restart: {erasure_after:?}"
    );
}

#[tokio::test]
async fn a_consumer_killed_mid_stream_loses_nothing_and_its_duplicates_are_harmless() {
    const USERS: usize = 150;
    let stack = Arc::new(
        Stack::start_options(Options {
            links_in_child: true,
            ..Options::default()
        })
        .await,
    );
    let users = users_with_data(&stack, "killed", USERS).await;
    let bystander = user_with_data(&stack, "bystander").await;
    let ids: Vec<String> = users.iter().map(|u| format!("'{}'", u.id)).collect();
    let links_left = format!(
        "SELECT count(*) AS n FROM links WHERE owner IN ({})",
        ids.join(",")
    );
    let links_before = stack.count(&stack.links, &links_left).await;
    // links also consumes each grid's creation (for its copy of grids).
    const PROCESSED: &str = "SELECT count(*) AS n FROM processed_events";
    let creations = 2 * (USERS as i64 + 1);
    stack
        .eventually(
            Duration::from_secs(30),
            "links consumed every grid's creation",
            async || stack.count(&stack.links, PROCESSED).await == creations,
        )
        .await;
    // What links processed over a week ago it forgets when its relay
    // (re)connects; the counts below are exact only if it did.
    const OLD: &str = "event_id = '00000000-0000-7000-8000-000000000001'";
    let aged = stack
        .count(
            &stack.links,
            "WITH aged AS (INSERT INTO processed_events (event_id, processed_at) \
             VALUES ('00000000-0000-7000-8000-000000000001', now() - interval '8 days') \
             RETURNING 1) SELECT count(*) AS n FROM aged",
        )
        .await;
    assert_eq!(aged, 1);

    // A backlog builds up while links is down, so that once it is back it
    // consumes at full speed, a prefetch window of deliveries in flight.
    stack.links.kill();
    let mut acknowledged = 0;
    for user in &users {
        delete_account(&stack, user).await;
        acknowledged += 1;
    }
    stack.links.restart();
    // Killed again as soon as it has erased a tenth of the backlog.
    let started = Instant::now();
    let mut left = links_before;
    while left > links_before * 9 / 10 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "links did not start consuming"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        left = stack.count(&stack.links, &links_left).await;
    }
    stack.links.kill();
    let left_at_kill = stack.count(&stack.links, &links_left).await;
    assert!(
        left_at_kill > 0,
        "the kill came after the whole backlog was consumed; nothing was in flight"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stack.links.restart();
    let restarted = Instant::now();

    let (erasure, _) = Erasure::awaited(&stack, &users, Duration::from_secs(60)).await;
    let drained = restarted.elapsed();
    let forgotten = format!("SELECT count(*) AS n FROM processed_events WHERE {OLD}");
    assert_eq!(
        stack.count(&stack.links, &forgotten).await,
        0,
        "a week-old processed event is forgotten"
    );
    let lost = erasure.lost(&stack, &users).await;
    let redelivered = redeliveries(&stack, &stack.links).await;
    // Each event took effect exactly once in links, whatever was redelivered.
    let processed = stack.count(&stack.links, PROCESSED).await - creations;
    let unexpected = (rows_left(&stack, &bystander).await != 2 + 4) as usize;
    figures::record(
        "fault-consumer-killed-mid-stream",
        json!({
            "attempts": USERS, "acknowledged": acknowledged, "lost": lost,
            "redelivered_after_kill": redelivered,
            "links_rows_left_at_kill": left_at_kill,
            "links_rows_before": links_before,
            "events_processed_by_links": processed,
            "erasures_confirmed": erasure.confirmed, "unexpected": unexpected,
            "drain_ms_after_restart": drained.as_millis(),
        }),
    );
    assert_eq!(lost, 0, "users whose data survived the kill");
    assert_eq!(unexpected, 0, "the bystander's data was touched");
    assert_eq!(processed, USERS as i64, "each deletion took effect once");
    assert_eq!(
        erasure.confirmed,
        2 * USERS as i64,
        "grids and links confirm every erasure exactly once"
    );
}

/// One answer the gateway gave under load.
struct Answer {
    sent: Instant,
    latency: Duration,
    status: u16,
    problem: bool,
}

#[tokio::test]
async fn a_service_killed_under_load_gets_fast_503s_and_the_gateway_recovers_alone() {
    let stack = Arc::new(
        Stack::start_options(Options {
            gateway: Some(Box::new(|config| {
                config.users.limit = 1_000_000;
                config.anonymous.limit = 1_000_000;
            })),
            links_in_child: true,
            ..Options::default()
        })
        .await,
    );
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let token = alice.access_token.clone();
    let grid = create_grid(&stack, stack.edge(), &token, "links under fire").await;
    let link = create_link(&stack, stack.edge(), &token, &grid, "a").await;
    let link_path = Arc::new(format!("/api/v1/links/{link}"));
    let control_path = Arc::new("/api/v1/users/alice".to_owned());

    // Eight clients read the link (and one a route links does not serve)
    // until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..9)
        .map(|i| {
            let (stack, stop, token) = (stack.clone(), stop.clone(), token.clone());
            let path = if i == 8 {
                control_path.clone()
            } else {
                link_path.clone()
            };
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = stack
                        .request(stack.edge(), Method::GET, &path, Some(&token), None)
                        .await;
                    let problem = response
                        .headers()
                        .get("content-type")
                        .is_some_and(|v| v == "application/problem+json");
                    answers.push(Answer {
                        sent,
                        latency: sent.elapsed(),
                        status: response.status().as_u16(),
                        problem,
                    });
                    let _ = response.bytes().await;
                }
                (i == 8, answers)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    stack.links.kill();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let gateway_ready = stack
        .client
        .get(format!("{}/readyz", stack.edge()))
        .send()
        .await
        .unwrap()
        .status();
    stack.links.restart();
    let restarted = Instant::now();
    let links_ready = stack
        .eventually(Duration::from_secs(30), "links is back", async || {
            let ready = stack
                .client
                .get(format!("{}/readyz", stack.links.url))
                .send()
                .await;
            ready.is_ok_and(|r| r.status() == 200)
        })
        .await;
    let ready = restarted + links_ready;
    // Long enough for the open circuit (5 s by default) to probe and close.
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::Relaxed);

    let mut answers = Vec::new();
    let mut control = Vec::new();
    for client in clients {
        let (is_control, mine) = client.await.unwrap();
        if is_control {
            control.extend(mine);
        } else {
            answers.extend(mine);
        }
    }
    // Answered before the kill (a request in flight at the kill may fail).
    let before_kill: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.sent + a.latency < killed)
        .collect();
    let while_down: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.sent >= killed && a.sent < restarted)
        .collect();
    let mut down_latencies: Vec<Duration> = while_down.iter().map(|a| a.latency).collect();
    down_latencies.sort();
    let first_success = answers
        .iter()
        .filter(|a| a.sent >= restarted && a.status == 200)
        .map(|a| a.sent + a.latency)
        .min()
        .expect("the link is served again");
    let after_recovery: Vec<&Answer> = answers.iter().filter(|a| a.sent > first_success).collect();
    let not_503 = while_down
        .iter()
        .filter(|a| a.status != 503 || !a.problem)
        .count();
    let control_failures: Vec<(u16, Duration)> = control
        .iter()
        .filter(|a| a.status != 200)
        .map(|a| (a.status, a.sent.saturating_duration_since(killed)))
        .collect();

    figures::record(
        "fault-service-killed-under-load",
        json!({
            "requests": answers.len() + control.len(),
            "ok_before_kill": before_kill.iter().filter(|a| a.status == 200).count(),
            "while_down": {
                "requests": while_down.len(),
                "answered_503": while_down.len() - not_503,
                "other_answers": not_503,
                "p50_ms": figures::percentile(&down_latencies, 0.5).as_secs_f64() * 1e3,
                "p99_ms": figures::percentile(&down_latencies, 0.99).as_secs_f64() * 1e3,
                "max_ms": down_latencies.last().unwrap().as_secs_f64() * 1e3,
            },
            "links_ready_ms_after_restart": links_ready.as_millis(),
            "served_again_ms_after_links_ready": first_success.saturating_duration_since(ready).as_millis(),
            "failures_after_recovery": after_recovery.iter().filter(|a| a.status != 200).count(),
            "other_route_failures": control_failures.len(),
        }),
    );
    assert!(
        before_kill.iter().all(|a| a.status == 200),
        "healthy before the kill"
    );
    assert!(
        while_down.len() > 100,
        "load kept coming while links was down"
    );
    assert_eq!(not_503, 0, "only problem+json 503s while links is down");
    assert!(
        figures::percentile(&down_latencies, 0.99) < Duration::from_millis(250),
        "503s come fast: p99 {:?}",
        figures::percentile(&down_latencies, 0.99)
    );
    assert_eq!(gateway_ready, 200, "the gateway itself stays ready");
    assert!(
        after_recovery.iter().all(|a| a.status == 200),
        "served again, without restarting the gateway"
    );
    assert!(!after_recovery.is_empty());
    assert!(
        control_failures.is_empty(),
        "routes that do not need links are unaffected: (status, since the kill) {control_failures:?}"
    );
}
