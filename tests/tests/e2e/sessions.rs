//! Ending a session ends its access tokens at every verifier within a
//! second: two gateways and every service, after a logout, a password change
//! (the other sessions) and an account deletion. Records the time from the
//! ending request's answer to each verifier's first refusal in
//! target/reliability/sessions-revocation.json, and with the broker cut off
//! in sessions-revocation-broker-down.json.

use std::time::{Duration, Instant};

use gridlink_config::Secret;
use gridlink_e2e::figures::{self, millis, percentile};
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::{BrokerUrls, Options, Stack};
use gridlink_test_support::{PASSWORD, Running, signup};
use serde_json::{Value, json};

const TRIALS: usize = 100;
/// Longer than the contract's bound, so a slow verifier is measured, not cut.
const GIVE_UP: Duration = Duration::from_secs(3);
const OTHER_PASSWORD: &str = "another quite long passphrase";

/// A verifier, and a request it answers only for a live token.
struct Target {
    name: &'static str,
    url: String,
    /// The gateway forwards what it lets through, and the service behind it
    /// checks the token again: a gateway's own refusal is the one without
    /// the `RateLimit` fields it adds to forwarded answers.
    own_refusal_only: bool,
}

fn targets(stack: &Stack, second_gateway: Option<&Running>) -> Vec<Target> {
    let target = |name, base: &str, path: &str, own_refusal_only| Target {
        name,
        url: format!("{base}{path}"),
        own_refusal_only,
    };
    let mut targets = vec![target(
        "gateway-1",
        stack.edge(),
        "/api/v1/grids?owner=me",
        true,
    )];
    if let Some(second) = second_gateway {
        targets.push(target(
            "gateway-2",
            &second.url,
            "/api/v1/grids?owner=me",
            true,
        ));
    }
    targets.extend([
        target("auth", &stack.auth.url, "/api/v1/users/me", false),
        target("grids", &stack.grids.url, "/api/v1/grids?owner=me", false),
        target("links", &stack.links.url, "/api/v1/links?q=anything", false),
    ]);
    targets
}

async fn accepted_everywhere(client: &reqwest::Client, targets: &[Target], token: &str) {
    for target in targets {
        let response = client
            .get(&target.url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{} with a live token", target.name);
    }
}

/// How long after `since` each target first refuses `token`.
async fn refused_after(
    client: &reqwest::Client,
    targets: &[Target],
    token: &str,
    since: Instant,
    give_up: Duration,
) -> Vec<Duration> {
    let polls = targets.iter().map(|target| async move {
        loop {
            let response = client
                .get(&target.url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let refused = response.status() == 401
                && !(target.own_refusal_only && response.headers().contains_key("ratelimit"));
            if refused {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < give_up,
                "{} still accepts the token after {give_up:?}",
                target.name
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    futures_util::future::join_all(polls).await
}

async fn login(stack: &Stack, username: &str, password: &str) -> Value {
    let response = stack
        .client
        .post(format!("{}/api/v1/auth/login", stack.auth.url))
        .json(&json!({"login": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "login of {username}");
    response.json().await.unwrap()
}

fn summary(times: &mut [Duration]) -> Value {
    times.sort();
    json!({
        "p50_ms": millis(percentile(times, 0.5)),
        "p99_ms": millis(percentile(times, 0.99)),
        "max_ms": millis(*times.last().unwrap()),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_session_ends_its_access_tokens_at_every_verifier_within_a_second() {
    let unlimited = |config: &mut gateway::Config| {
        config.anonymous.limit = 1_000_000_000;
        config.users.limit = 1_000_000_000;
    };
    let stack = Stack::start_options(Options {
        gateway: Some(Box::new(unlimited)),
        ..Options::default()
    })
    .await;
    let mut config = stack.gateway_config();
    unlimited(&mut config);
    let second_gateway = Stack::start_gateway(config).await;
    let targets = targets(&stack, Some(&second_gateway));
    let client = &stack.client;
    let mut times: Vec<(&str, Vec<Vec<Duration>>)> = Vec::new();

    // Logout.
    signup(client, &stack.auth.url, "lou").await;
    let mut trials = Vec::new();
    for _ in 0..TRIALS {
        let session = login(&stack, "lou", PASSWORD).await;
        let token = session["access_token"].as_str().unwrap();
        accepted_everywhere(client, &targets, token).await;
        let logout = client
            .post(format!("{}/api/v1/auth/logout", stack.auth.url))
            .json(&json!({"refresh_token": session["refresh_token"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), 204);
        trials.push(refused_after(client, &targets, token, Instant::now(), GIVE_UP).await);
    }
    times.push(("logout", trials));

    // A password change ends the other sessions.
    signup(client, &stack.auth.url, "pat").await;
    let changer = login(&stack, "pat", PASSWORD).await;
    let mut changer_token = changer["access_token"].as_str().unwrap().to_owned();
    let mut trials = Vec::new();
    for trial in 0..TRIALS {
        let (current, new) = if trial % 2 == 0 {
            (PASSWORD, OTHER_PASSWORD)
        } else {
            (OTHER_PASSWORD, PASSWORD)
        };
        let other = login(&stack, "pat", current).await;
        let token = other["access_token"].as_str().unwrap();
        accepted_everywhere(client, &targets, token).await;
        let changed = client
            .put(format!("{}/api/v1/users/me/password", stack.auth.url))
            .bearer_auth(&changer_token)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        let since = Instant::now();
        let renewed: Value = changed.json().await.unwrap();
        changer_token = renewed["access_token"].as_str().unwrap().to_owned();
        trials.push(refused_after(client, &targets, token, since, GIVE_UP).await);
    }
    times.push(("password_change", trials));

    // Deleting the account ends all of its sessions.
    let mut trials = Vec::new();
    for trial in 0..TRIALS {
        let user = signup(client, &stack.auth.url, &format!("del{trial}")).await;
        accepted_everywhere(client, &targets, &user.access_token).await;
        let deleted = client
            .delete(format!("{}/api/v1/users/me", stack.auth.url))
            .bearer_auth(&user.access_token)
            .json(&json!({"password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 202);
        trials.push(
            refused_after(
                client,
                &targets,
                &user.access_token,
                Instant::now(),
                GIVE_UP,
            )
            .await,
        );
    }
    times.push(("deletion", trials));

    let mut report = serde_json::Map::new();
    let mut slow = Vec::new();
    for (kind, trials) in &times {
        let mut per_target = serde_json::Map::new();
        for (i, target) in targets.iter().enumerate() {
            let mut of_target: Vec<Duration> = trials.iter().map(|t| t[i]).collect();
            let figures = summary(&mut of_target);
            if percentile(&of_target, 0.99) > Duration::from_secs(1) {
                slow.push(format!("{kind} at {}: {figures}", target.name));
            }
            per_target.insert(target.name.into(), figures);
        }
        report.insert((*kind).into(), Value::Object(per_target));
    }
    report.insert("trials_each".into(), json!(TRIALS));
    report.insert("gateway_replicas".into(), json!(2));
    figures::record("sessions-revocation", Value::Object(report));
    assert!(slow.is_empty(), "p99 over a second: {slow:#?}");
}

/// The bound while the broker is unreachable: a follower reads auth's list
/// before every reconnection attempt, and those are at most 5 s apart.
const BROKER_DOWN_BOUND: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_broker_cut_off_a_logout_still_ends_its_tokens_within_five_seconds() {
    const LOGOUTS: usize = 20;
    let proxy = Proxy::start("127.0.0.1:5672".parse().unwrap()).await;
    let via = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let gateway_via = via.clone();
    let stack = Stack::start_options(Options {
        brokers: BrokerUrls {
            auth: via.clone(),
            grids: via.clone(),
            links: via,
        },
        gateway: Some(Box::new(move |config: &mut gateway::Config| {
            config.users.limit = 1_000_000_000;
            if let Some(events) = config.kit.events.as_mut() {
                events.url = Secret::new(gateway_via);
            }
        })),
        ..Options::default()
    })
    .await;
    let targets = targets(&stack, None);
    let client = &stack.client;
    signup(client, &stack.auth.url, "cora").await;
    let mut sessions = Vec::new();
    for _ in 0..LOGOUTS {
        let session = login(&stack, "cora", PASSWORD).await;
        accepted_everywhere(client, &targets, session["access_token"].as_str().unwrap()).await;
        sessions.push(session);
    }

    proxy.cut();
    stack
        .eventually(
            Duration::from_secs(10),
            "auth reports the broker down",
            async || {
                let r = client
                    .get(format!("{}/readyz", stack.auth.url))
                    .send()
                    .await
                    .unwrap();
                r.status() == 503
            },
        )
        .await;
    // Logouts spread over the followers' reconnection cycle, so the figures
    // show the whole of it, not one moment.
    let trials = sessions.iter().enumerate().map(|(i, session)| {
        let (stack, targets) = (&stack, &targets);
        async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 330)).await;
            let logout = client
                .post(format!("{}/api/v1/auth/logout", stack.auth.url))
                .json(&json!({"refresh_token": session["refresh_token"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(logout.status(), 204, "a logout while the broker is down");
            let token = session["access_token"].as_str().unwrap();
            refused_after(
                client,
                targets,
                token,
                Instant::now(),
                3 * BROKER_DOWN_BOUND,
            )
            .await
        }
    });
    let trials = futures_util::future::join_all(trials).await;
    proxy.restore();

    let mut report = serde_json::Map::new();
    let mut slow = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let mut of_target: Vec<Duration> = trials.iter().map(|t| t[i]).collect();
        let figures = summary(&mut of_target);
        // One request's time on top of the bound, for the check itself.
        if *of_target.last().unwrap() > BROKER_DOWN_BOUND + Duration::from_millis(500) {
            slow.push(format!("{}: {figures}", target.name));
        }
        report.insert(target.name.into(), figures);
    }
    report.insert("logouts".into(), json!(LOGOUTS));
    report.insert(
        "bound_ms".into(),
        json!(BROKER_DOWN_BOUND.as_millis() as u64),
    );
    figures::record("sessions-revocation-broker-down", Value::Object(report));
    assert!(slow.is_empty(), "slower than the bound: {slow:#?}");
}
