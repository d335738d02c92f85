//! The gateway in front of the real services.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use gridlink_e2e::accounts::{create_grid, create_link};
use gridlink_e2e::figures;
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::Stack;
use gridlink_test_support::{PASSWORD, TestTokens, User, problem, signup};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    stack
        .request(stack.edge(), method, path, token, body.as_ref())
        .await
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "{}", response.url());
    let text = response.text().await.unwrap();
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

#[tokio::test]
async fn every_public_route_is_reachable_through_the_gateway() {
    let stack = Stack::with_gateway(|_| {}).await;
    let signed_up = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD})),
        )
        .await,
        201,
    )
    .await;
    let token = signed_up["access_token"].as_str().unwrap().to_owned();
    let t = Some(token.as_str());
    let login = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "alice", "password": PASSWORD})),
        )
        .await,
        200,
    )
    .await;
    let refreshed = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": login["refresh_token"]})),
        )
        .await,
        200,
    )
    .await;
    json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": refreshed["refresh_token"]})),
        )
        .await,
        204,
    )
    .await;
    json_of(
        call(&stack, Method::GET, "/api/v1/auth/jwks.json", None, None).await,
        200,
    )
    .await;
    json_of(
        call(&stack, Method::GET, "/api/v1/users/me", t, None).await,
        200,
    )
    .await;
    json_of(
        call(
            &stack,
            Method::PATCH,
            "/api/v1/users/me",
            t,
            Some(json!({"bio": "hi"})),
        )
        .await,
        200,
    )
    .await;
    json_of(
        call(&stack, Method::GET, "/api/v1/users/alice", None, None).await,
        200,
    )
    .await;

    let grid = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/grids",
            t,
            Some(json!({"title": "g"})),
        )
        .await,
        201,
    )
    .await;
    let grid_path = format!("/api/v1/grids/{}", grid["slug"].as_str().unwrap());
    json_of(
        call(&stack, Method::GET, "/api/v1/grids?owner=me", t, None).await,
        200,
    )
    .await;
    json_of(call(&stack, Method::GET, &grid_path, None, None).await, 200).await;
    json_of(
        call(
            &stack,
            Method::PATCH,
            &grid_path,
            t,
            Some(json!({"title": "g2"})),
        )
        .await,
        200,
    )
    .await;

    let link = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/links",
            t,
            Some(json!({"grid": grid["slug"], "title": "rust", "url": "https://rust-lang.org"})),
        )
        .await,
        201,
    )
    .await;
    let link_path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    json_of(call(&stack, Method::GET, &link_path, None, None).await, 200).await;
    json_of(
        call(
            &stack,
            Method::GET,
            &format!("/api/v1/links?grid={}", grid["slug"].as_str().unwrap()),
            None,
            None,
        )
        .await,
        200,
    )
    .await;
    let found = json_of(
        call(&stack, Method::GET, "/api/v1/links?q=rust", t, None).await,
        200,
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    json_of(
        call(
            &stack,
            Method::PATCH,
            &link_path,
            t,
            Some(json!({"width": 2})),
        )
        .await,
        200,
    )
    .await;
    json_of(
        call(
            &stack,
            Method::PUT,
            "/api/v1/links/order",
            t,
            Some(json!({"grid": grid["slug"], "links": [link["slug"]]})),
        )
        .await,
        204,
    )
    .await;
    let profile = json_of(
        call(&stack, Method::GET, "/api/v1/profiles/alice", None, None).await,
        200,
    )
    .await;
    assert_eq!(profile["grids"][0]["links"][0]["title"], "rust");
    json_of(call(&stack, Method::DELETE, &link_path, t, None).await, 204).await;
    json_of(call(&stack, Method::DELETE, &grid_path, t, None).await, 204).await;
    let renewed = json_of(
        call(
            &stack,
            Method::PUT,
            "/api/v1/users/me/password",
            t,
            Some(json!({"current_password": PASSWORD, "new_password": "another long passphrase"})),
        )
        .await,
        200,
    )
    .await;
    let t = renewed["access_token"].as_str();
    let sessions = json_of(
        call(&stack, Method::GET, "/api/v1/auth/sessions", t, None).await,
        200,
    )
    .await;
    let current = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    let session_path = format!("/api/v1/auth/sessions/{}", current["id"].as_str().unwrap());
    json_of(
        call(&stack, Method::DELETE, "/api/v1/auth/sessions", t, None).await,
        204,
    )
    .await;
    json_of(
        call(&stack, Method::DELETE, &session_path, t, None).await,
        204,
    )
    .await;
    let login = json_of(
        call(
            &stack,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "alice", "password": "another long passphrase"})),
        )
        .await,
        200,
    )
    .await;
    let t = login["access_token"].as_str();
    json_of(
        call(
            &stack,
            Method::DELETE,
            "/api/v1/users/me",
            t,
            Some(json!({"password": "another long passphrase"})),
        )
        .await,
        202,
    )
    .await;
    json_of(
        call(&stack, Method::GET, "/api/v1/openapi.json", None, None).await,
        200,
    )
    .await;
    let docs = call(&stack, Method::GET, "/api/v1/docs", None, None).await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/v1/openapi.json"));
}

#[tokio::test]
async fn bad_tokens_are_refused_at_the_edge_without_bothering_a_service() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    // A token from someone else's signing key, well formed in every other way.
    let mallory = TestTokens::new().user("mallory");
    let parts: Vec<&str> = alice.access_token.split('.').collect();
    let mut flipped = parts[2].as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0"; // {"alg":"none","typ":"at+jwt"}
    let bad = [
        "garbage".to_owned(),
        format!("{none_header}.{}.", parts[1]),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            String::from_utf8(flipped).unwrap()
        ),
        mallory.access_token.clone(),
    ];
    // Warm up the gateway's key cache with one good call.
    assert_eq!(
        call(
            &stack,
            Method::GET,
            "/api/v1/grids?owner=me",
            Some(&alice.access_token),
            None
        )
        .await
        .status(),
        200
    );
    let before = stack.grids.requests_served(&stack.client).await;
    for token in &bad {
        let response = call(
            &stack,
            Method::GET,
            "/api/v1/grids?owner=me",
            Some(token),
            None,
        )
        .await;
        assert_eq!(response.status(), 401, "{token}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    assert_eq!(
        stack.grids.requests_served(&stack.client).await,
        before,
        "no bad token reached grids"
    );
    // A route that needs no token ignores a stale one (the contract says so:
    // a front-end with an old token must still show a public page).
    assert_eq!(
        call(
            &stack,
            Method::GET,
            "/api/v1/profiles/alice",
            Some("garbage"),
            None
        )
        .await
        .status(),
        200
    );
    // The public profile stays public without a token.
    assert_eq!(
        call(&stack, Method::GET, "/api/v1/profiles/alice", None, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn internal_routes_are_unreachable_however_spelled() {
    let stack = Stack::with_gateway(|_| {}).await;
    signup(&stack.client, &stack.auth.url, "alice").await;
    let before = stack.auth.requests_served(&stack.client).await;
    for path in [
        "/internal/v1/users/by-username/alice",
        "//internal/v1/users/by-username/alice",
        "/%69nternal/v1/users/by-username/alice",
        "/api/v1/users/../../../internal/v1/users/by-username/alice",
        "/api/v1/users/%2e%2e/%2e%2e/%2e%2e/internal/v1/users/by-username/alice",
        "/api/v1/users/..%2f..%2f..%2finternal/v1/users/by-username/alice",
        "/api/v1/users/%252e%252e%252f%252e%252e%252f%252e%252e%252finternal/v1/users/by-username/alice",
        "/api/v1/users/..\\..\\..\\internal/v1/users/by-username/alice",
        "/INTERNAL/v1/users/by-username/alice",
    ] {
        let response = stack
            .client
            .get(format!("{}{path}", stack.edge()))
            .bearer_auth(gridlink_test_support::GATEWAY_TOKEN)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 400 | 404),
            "{path} -> {}",
            response.status()
        );
    }
    assert_eq!(
        stack.auth.requests_served(&stack.client).await,
        before,
        "nothing reached auth"
    );
}

#[tokio::test]
async fn anonymous_callers_are_rate_limited_with_the_standard_headers() {
    let stack = Stack::with_gateway(|c| c.anonymous.limit = 5).await;
    for i in 0..5 {
        let response = call(&stack, Method::GET, "/api/v1/users/nobody", None, None).await;
        assert_eq!(response.status(), 404);
        assert_eq!(
            response.headers()["ratelimit-policy"],
            "\"default\";q=5;w=60"
        );
        assert!(
            response.headers()["ratelimit"]
                .to_str()
                .unwrap()
                .contains(&format!("r={}", 4 - i))
        );
    }
    let refused = call(&stack, Method::GET, "/api/v1/users/nobody", None, None).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert!(refused.headers().contains_key("ratelimit"));
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn two_gateways_share_one_limit_through_redis() {
    let prefix = format!("gltest:{}:", uuid::Uuid::new_v4().simple());
    let shared = |prefix: String| {
        move |c: &mut gateway::Config| {
            c.anonymous.limit = 6;
            c.redis_url = Some("redis://127.0.0.1:6379".into());
            c.redis_prefix = prefix;
        }
    };
    let first = Stack::with_gateway(shared(prefix.clone())).await;
    let second_gateway = {
        let mut config = first.gateway_config();
        shared(prefix)(&mut config);
        Stack::start_gateway(config).await
    };
    let mut statuses = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 {
            first.edge().to_owned()
        } else {
            second_gateway.url.clone()
        };
        let response = first
            .client
            .get(format!("{base}/api/v1/users/nobody"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [404, 404, 404, 404, 404, 404, 429, 429],
        "one budget across both replicas"
    );
}

#[tokio::test]
async fn the_request_id_is_echoed_and_passed_on() {
    let stack = Stack::with_gateway(|_| {}).await;
    let response = stack
        .client
        .get(format!("{}/api/v1/users/nobody", stack.edge()))
        .header("x-request-id", "front-end-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "front-end-123");
    let generated = call(
        &stack,
        Method::GET,
        "/api/v1/grids/gr_00000000000000000000000000000000",
        None,
        None,
    )
    .await;
    assert_eq!(generated.headers()["x-request-id"].len(), 32);
    // Security headers on every answer.
    assert_eq!(generated.headers()["x-content-type-options"], "nosniff");
    assert_eq!(generated.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn cors_is_granted_only_to_allowed_origins() {
    let stack = Stack::with_gateway(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let preflight = stack
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/grids", stack.edge()))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let other = stack
        .client
        .get(format!("{}/api/v1/users/nobody", stack.edge()))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_frozen_upstream_is_answered_504_quickly() {
    let frozen = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let frozen_url = format!("http://{}", frozen.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = frozen.accept().await {
            held.push(socket); // accept and never answer
        }
    });
    let stack = Stack::with_gateway(move |c| {
        c.links.base_url = frozen_url;
        c.links.timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    let response = call(
        &stack,
        Method::GET,
        "/api/v1/links/li_00000000000000000000000000000000",
        None,
        None,
    )
    .await;
    assert_eq!(response.status(), 504);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // Other routes are unaffected.
    assert_eq!(
        call(&stack, Method::GET, "/api/v1/users/nobody", None, None)
            .await
            .status(),
        404
    );
}

/// An upstream that reads each request and then, by turns, hangs up without
/// answering or answers 200 `{}` and closes. Counts the requests it read.
async fn flaky_upstream() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = vec![0; 64 * 1024];
            if socket.read(&mut request).await.unwrap_or(0) == 0 {
                continue;
            }
            if counter.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              content-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_dropped_connection_is_retried_only_for_idempotent_requests() {
    let (flaky, seen) = flaky_upstream().await;
    let stack = Stack::with_gateway(move |c| c.links.base_url = flaky).await;
    let link = "/api/v1/links/li_00000000000000000000000000000000";

    let read = call(&stack, Method::GET, link, None, None).await;
    assert_eq!(
        read.status(),
        200,
        "a read is sent again on a new connection"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    let write = call(
        &stack,
        Method::POST,
        "/api/v1/links",
        None,
        Some(json!({"grid": "gr_x", "title": "t", "url": "https://example.com"})),
    )
    .await;
    assert_eq!(write.status(), 503, "a create is not sent twice");
    assert_eq!(write.headers()["content-type"], "application/problem+json");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "the upstream saw the create once"
    );
}

#[tokio::test]
async fn a_dead_upstream_opens_the_circuit_and_it_recovers() {
    let stack = Stack::with_gateway(|_| {}).await;
    let proxy = Proxy::start(
        stack
            .links
            .url
            .trim_start_matches("http://")
            .parse()
            .unwrap(),
    )
    .await;
    let proxied = format!("http://{}", proxy.addr);
    // A gateway whose links upstream goes through the proxy.
    let mut config = stack.gateway_config();
    config.links.base_url = proxied;
    config.breaker_failures = 3;
    config.breaker_open = Duration::from_secs(2);
    let gateway = Stack::start_gateway(config).await;
    let edge = gateway.url.clone();
    let get = |path: &'static str| {
        let (client, edge) = (stack.client.clone(), edge.clone());
        async move { client.get(format!("{edge}{path}")).send().await.unwrap() }
    };
    let link = "/api/v1/links/li_00000000000000000000000000000000";
    assert_eq!(
        get(link).await.status(),
        404,
        "healthy: the service answers"
    );

    proxy.cut();
    let mut statuses = Vec::new();
    let started = Instant::now();
    for _ in 0..6 {
        statuses.push(get(link).await.status());
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "503s come fast: {:?}",
        started.elapsed()
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    let open = get(link).await;
    assert!(open.headers().contains_key("retry-after"));
    let metrics = stack
        .client
        .get(format!("{edge}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200, "the gateway itself stays ready");
    let text = stack
        .client
        .get(format!("{}/metrics", gateway.admin_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let links_circuit = text
        .lines()
        .find(|l| l.starts_with("gateway_circuit_state") && l.contains("upstream=\"links\""))
        .unwrap();
    assert!(
        links_circuit.ends_with(" 2"),
        "the links circuit is open: {links_circuit}"
    );
    assert_eq!(
        get("/api/v1/users/nobody").await.status(),
        404,
        "other upstreams are unaffected"
    );

    proxy.restore();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        get(link).await.status(),
        404,
        "the probe succeeds and the circuit closes"
    );
    assert_eq!(get(link).await.status(), 404);
}

async fn user_with_grids(stack: &Stack, name: &str, grids: usize) -> User {
    let user = signup(&stack.client, &stack.auth.url, name).await;
    for g in 0..grids {
        let token = &user.access_token;
        let grid = create_grid(stack, &stack.grids.url, token, &format!("grid {g}")).await;
        for l in 0..2 {
            create_link(stack, &stack.links.url, token, &grid, &format!("{g}-{l}")).await;
        }
    }
    user
}

#[tokio::test]
async fn the_profile_page_costs_three_backend_calls_whatever_its_size() {
    let stack = Stack::with_gateway(|_| {}).await;
    let small = user_with_grids(&stack, "small", 1).await;
    let big = user_with_grids(&stack, "big", 50).await;
    // A private grid never shows on the profile.
    stack
        .client
        .post(format!("{}/api/v1/grids", stack.grids.url))
        .bearer_auth(&big.access_token)
        .json(&json!({"title": "secret", "visibility": "private"}))
        .send()
        .await
        .unwrap();

    for (user, grids) in [(&small, 1), (&big, 50)] {
        let services = [&stack.auth, &stack.grids, &stack.links];
        let mut before = Vec::new();
        for service in services {
            before.push((
                service.requests_served(&stack.client).await,
                service.statements(&stack.client).await,
            ));
        }
        let profile = json_of(
            call(
                &stack,
                Method::GET,
                &format!("/api/v1/profiles/{}?limit=50", user.username.to_uppercase()),
                None,
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(profile["next_cursor"], Value::Null, "all on one page");
        // Links reads the grids' rendered heads (each link's creation
        // rendered its grid's): one statement too.
        for (service, (requests, sql), statements) in services
            .iter()
            .zip(before)
            .zip([1, 1, 1])
            .map(|((s, b), n)| (s, b, n))
        {
            let url = &service.url;
            assert_eq!(
                service.requests_served(&stack.client).await - requests,
                1,
                "one call to {url}"
            );
            assert_eq!(
                service.statements(&stack.client).await - sql,
                statements,
                "statements in {url}"
            );
        }
        assert_eq!(profile["user"]["id"], user.id.as_str());
        let shown = profile["grids"].as_array().unwrap();
        assert_eq!(shown.len(), grids);
        assert_eq!(
            shown[0]["title"],
            format!("grid {}", grids - 1),
            "newest first"
        );
        for grid in shown {
            let titles: Vec<&str> = grid["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["title"].as_str().unwrap())
                .collect();
            assert_eq!(titles.len(), 2);
            assert!(
                titles[0].ends_with("-0") && titles[1].ends_with("-1"),
                "links in position order"
            );
        }
    }
    let missing = call(&stack, Method::GET, "/api/v1/profiles/nobody", None, None).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_profile_comes_in_bounded_pages_with_cursors_for_the_rest() {
    let stack = Stack::with_gateway(|_| {}).await;
    let user = user_with_grids(&stack, "paged", 23).await;
    let token = &user.access_token;
    let long = create_grid(&stack, &stack.grids.url, token, "long").await;
    for l in 0..52 {
        create_link(
            &stack,
            &stack.links.url,
            token,
            &long,
            &format!("long-{l:02}"),
        )
        .await;
    }
    let get = async |path: String| call(&stack, Method::GET, &path, None, None).await;

    let first = json_of(get("/api/v1/profiles/paged".into()).await, 200).await;
    let grids = first["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 20, "20 grids by default");
    assert_eq!(grids[0]["title"], "long");
    assert_eq!(grids[0]["links"].as_array().unwrap().len(), 50);
    assert!(grids[1..].iter().all(|g| g["links_next_cursor"].is_null()));
    let links_cursor = grids[0]["links_next_cursor"].as_str().unwrap();
    let rest = json_of(
        get(format!("/api/v1/links?grid={long}&cursor={links_cursor}")).await,
        200,
    )
    .await;
    let titles: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["long-50", "long-51"],
        "the grid's other links continue there"
    );

    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json_of(
        get(format!("/api/v1/profiles/paged?cursor={cursor}")).await,
        200,
    )
    .await;
    let titles: Vec<&str> = second["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["grid 3", "grid 2", "grid 1", "grid 0"]);
    assert_eq!(second["next_cursor"], Value::Null);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("cursor=made-up", "cursor"),
    ] {
        let response = get(format!("/api/v1/profiles/paged?{query}")).await;
        let body = problem(response, 400).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_grid_page_shows_a_shared_grid_with_its_owner_in_one_call() {
    let stack = Stack::with_gateway(|_| {}).await;
    let owner = signup(&stack.client, &stack.auth.url, "sharer").await;
    let token = &owner.access_token;
    let grid_of = async |visibility: &str| {
        let response = stack
            .client
            .post(format!("{}/api/v1/grids", stack.grids.url))
            .bearer_auth(token)
            .json(&json!({"title": visibility, "visibility": visibility}))
            .send()
            .await
            .unwrap();
        let grid: Value = response.json().await.unwrap();
        grid["slug"].as_str().unwrap().to_owned()
    };
    let unlisted = grid_of("unlisted").await;
    let private = grid_of("private").await;
    for (title, extra) in [
        ("first", json!({})),
        ("off", json!({"enabled": false})),
        ("top", json!({"pinned": true})),
    ] {
        let mut body = json!({"grid": unlisted, "title": title, "url": "https://example.com"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let response = stack
            .client
            .post(format!("{}/api/v1/links", stack.links.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }

    let services = [&stack.auth, &stack.grids, &stack.links];
    let mut before = Vec::new();
    for service in services {
        before.push(service.requests_served(&stack.client).await);
    }
    let page = json_of(
        call(
            &stack,
            Method::GET,
            &format!("/api/v1/grids/{unlisted}/page"),
            None,
            None,
        )
        .await,
        200,
    )
    .await;
    for (service, requests) in services.iter().zip(before) {
        let served = service.requests_served(&stack.client).await - requests;
        assert_eq!(served, 1, "one call to {}", service.url);
    }
    assert_eq!(page["grid"]["slug"], unlisted.as_str());
    assert_eq!(page["owner"]["username"], "sharer");
    assert!(page["owner"].get("email").is_none(), "the public user only");
    let titles: Vec<&str> = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["top", "first"], "live links, pinned first");
    assert_eq!(page["links_next_cursor"], Value::Null);

    // Private grids have no page, not even for their owner; nor do made-up ones.
    for slug in [private.as_str(), "gr_nosuchgrid000000000000", "not-a-slug"] {
        let response = call(
            &stack,
            Method::GET,
            &format!("/api/v1/grids/{slug}/page"),
            Some(token),
            None,
        )
        .await;
        problem(response, 404).await;
    }
}

#[tokio::test]
async fn a_failing_backend_is_named_in_the_profile_problem() {
    let stack = Stack::with_gateway(|c| c.links.base_url = "http://127.0.0.1:1".into()).await;
    user_with_grids(&stack, "carol", 1).await;
    let response = call(&stack, Method::GET, "/api/v1/profiles/carol", None, None).await;
    assert_eq!(response.status(), 503);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "links");
    assert!(problem["detail"].as_str().unwrap().contains("links"));
}

#[tokio::test]
async fn oversized_bodies_are_refused_at_the_edge() {
    let stack = Stack::with_gateway(|_| {}).await;
    let before = stack.auth.requests_served(&stack.client).await;
    let response = call(
        &stack,
        Method::POST,
        "/api/v1/auth/signup",
        None,
        Some(json!({"username": "x".repeat(70_000)})),
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(stack.auth.requests_served(&stack.client).await, before);
}

#[tokio::test]
async fn the_served_document_is_the_generated_public_contract() {
    let generated = gridlink_e2e::openapi::public_document()
        .to_pretty_json()
        .unwrap()
        + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(gridlink_e2e::openapi::FILE, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(gridlink_e2e::openapi::FILE).unwrap_or_default();
    assert!(
        committed == generated,
        "proto-docs/gateway.openapi.json is stale: run `make openapi`"
    );
    let document: Value = serde_json::from_str(&generated).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.keys().all(|p| !p.starts_with("/internal")));
    for expected in [
        "/api/v1/profiles/{username}",
        "/api/v1/auth/signup",
        "/api/v1/grids/{slug}",
        "/api/v1/links/order",
    ] {
        assert!(paths.contains_key(expected), "{expected} missing");
    }
}

/// Every call the gateway makes to another service, with that service down:
/// a problem+json 503 (or 504) with Retry-After, never a 404 or a 500.
#[tokio::test]
async fn every_dependency_of_the_gateway_down_is_a_503_never_a_404() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = user_with_grids(&stack, "alice", 1).await;
    let nowhere = "http://127.0.0.1:1".to_owned();
    for (down, path, token, part) in [
        ("auth", "/api/v1/profiles/alice", None, Some("user")),
        ("grids", "/api/v1/profiles/alice", None, Some("grids")),
        ("links", "/api/v1/profiles/alice", None, Some("links")),
        ("auth", "/api/v1/users/alice", None, None),
        ("grids", "/api/v1/grids?owner=me", None, None),
        (
            "links",
            "/api/v1/links/li_00000000000000000000000000000000",
            None,
            None,
        ),
        // A token's keys come from auth: with auth down they cannot be fetched.
        (
            "auth",
            "/api/v1/grids?owner=me",
            Some(alice.access_token.as_str()),
            None,
        ),
    ] {
        let mut config = stack.gateway_config();
        match down {
            "auth" => config.auth.base_url = nowhere.clone(),
            "grids" => config.grids.base_url = nowhere.clone(),
            _ => config.links.base_url = nowhere.clone(),
        }
        let gateway = Stack::start_gateway(config).await;
        let response = stack
            .request(&gateway.url, Method::GET, path, token, None)
            .await;
        assert!(
            response.headers().contains_key("retry-after"),
            "{path} with {down} down says when to retry"
        );
        let body = gridlink_test_support::problem(response, 503).await;
        if let Some(part) = part {
            assert_eq!(body["errors"][0]["field"], part, "{body}");
        }
    }
}

/// The gateway's metrics name the route template of every request it
/// routed, whatever the path or the method a client sends.
#[tokio::test]
async fn gateway_metrics_are_labelled_by_route_template_and_known_method() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = user_with_grids(&stack, "alice", 1).await;
    let t = Some(alice.access_token.as_str());
    for path in [
        "/api/v1/grids?owner=me",
        "/api/v1/grids/gr_00000000000000000000000000000000",
        "/api/v1/links/li_00000000000000000000000000000000",
        "/api/v1/users/alice",
        "/api/v1/profiles/alice",
        "/api/v1/no/such/route",
    ] {
        call(&stack, Method::GET, path, t, None).await;
    }
    let gateway = stack.gateway.as_ref().unwrap();
    let metrics = || async {
        let url = format!("{}/metrics", gateway.admin_url);
        let response = stack.client.get(url).send().await.unwrap();
        response.text().await.unwrap()
    };
    // One made-up method first, so the OTHER label exists before measuring.
    let made_up =
        || Method::from_bytes(format!("X{}", uuid::Uuid::new_v4().simple()).as_bytes()).unwrap();
    call(&stack, made_up(), "/api/v1/grids", None, None).await;
    let before = metrics().await.len();
    let random_methods = 1000;
    futures_util::stream::iter(0..random_methods)
        .for_each_concurrent(16, |_| async {
            call(&stack, made_up(), "/api/v1/grids", None, None).await;
        })
        .await;
    let text = metrics().await;
    figures::record(
        "abuse-metrics-cardinality",
        json!({"random_method_requests": random_methods, "metrics_bytes_before": before,
               "metrics_bytes_after": text.len()}),
    );
    // Counts and histogram sums grow by a few digits; no series is added.
    assert!(
        text.len() < before + 1024,
        "/metrics grew from {before} to {} bytes",
        text.len()
    );
    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    for route in [
        "/api/v1/grids",
        "/api/v1/grids/{slug}",
        "/api/v1/links/{slug}",
        "/api/v1/users/{username}",
        "/api/v1/profiles/{username}",
    ] {
        assert!(
            requests
                .iter()
                .any(|l| l.contains(&format!("route=\"{route}\""))),
            "{route} in\n{}",
            requests.join("\n")
        );
    }
    let unmatched: Vec<&&str> = requests
        .iter()
        .filter(|l| l.contains("route=\"unmatched\""))
        .collect();
    assert_eq!(unmatched.len(), 1, "only the unknown path: {unmatched:?}");
    assert!(!text.contains("gr_0000") && !text.contains("li_0000") && !text.contains("alice"));
    assert!(requests.iter().any(|l| l.contains("method=\"OTHER\"")));
    assert!(
        !text.contains("method=\"X"),
        "made-up methods are not labels"
    );
}

/// A route group with its own budget (here the auth routes) runs out on its
/// own; the caller's other requests go on.
#[tokio::test]
async fn a_route_group_has_its_own_budget() {
    let stack = Stack::with_gateway(|c| {
        c.groups.auth = Some(gateway::config::Quota {
            limit: 2,
            window: Duration::from_secs(60),
        })
    })
    .await;
    signup(&stack.client, &stack.auth.url, "alice").await;
    let login = json!({"login": "alice", "password": PASSWORD});
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = call(
            &stack,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(login.clone()),
        )
        .await;
        statuses.push(response.status().as_u16());
        if response.status() == 200 {
            let policy = response.headers()["ratelimit-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(policy.contains("\"auth\";q=2;w=60"), "{policy}");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(
        call(&stack, Method::GET, "/api/v1/users/alice", None, None)
            .await
            .status(),
        200,
        "reads spend from the caller's own budget"
    );
}
