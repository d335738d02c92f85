//! What real clients send, through the gateway: stale tokens, browsers'
//! preflights and HEADs, bodies of the wrong shape, searches PostgreSQL
//! cannot parse. Each must get a clear answer a client can act on.

use std::collections::BTreeMap;

use gridlink_e2e::accounts::create_grid;
use gridlink_e2e::stack::Stack;
use gridlink_test_support::{PASSWORD, signup};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Bodies where an object is expected.
const NOT_OBJECTS: [&str; 4] = ["[null, null]", "\"text\"", "7", "null"];

const GARBAGE: &str = "Bearer eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl";

async fn send(
    stack: &Stack,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = stack
        .client
        .request(method, format!("{}{path}", stack.edge()));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The problem `type` of a response, after checking its status.
async fn problem_type(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "{}", response.url());
    let problem: Value = response.json().await.unwrap();
    problem["type"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_stale_token_is_ignored_where_none_is_needed_and_refused_with_invalid_token_elsewhere() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let grid = create_grid(&stack, &stack.grids.url, &alice.access_token, "mine").await;

    // Routes that need no token answer as if none were sent.
    let signed_up = send(
        &stack,
        Method::POST,
        "/api/v1/auth/signup",
        Some(GARBAGE),
        Some(json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD})),
    )
    .await;
    assert_eq!(signed_up.status(), 201);
    let login = send(
        &stack,
        Method::POST,
        "/api/v1/auth/login",
        Some(GARBAGE),
        Some(json!({"login": "bob", "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.status(), 200);
    let tokens: Value = login.json().await.unwrap();
    let refreshed = send(
        &stack,
        Method::POST,
        "/api/v1/auth/refresh",
        Some(GARBAGE),
        Some(json!({"refresh_token": tokens["refresh_token"]})),
    )
    .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    for (path, status) in [
        ("/api/v1/auth/jwks.json", 200),
        ("/api/v1/profiles/alice", 200),
    ] {
        let response = send(&stack, Method::GET, path, Some(GARBAGE), None).await;
        assert_eq!(response.status(), status, "{path}");
    }
    let logout = send(
        &stack,
        Method::POST,
        "/api/v1/auth/logout",
        Some(GARBAGE),
        Some(json!({"refresh_token": refreshed["refresh_token"]})),
    )
    .await;
    assert_eq!(logout.status(), 204);

    // Where a token is optional or required, a bad one is 401 invalid_token,
    // at the gateway and at the service alike.
    let grid_path = format!("/api/v1/grids/{grid}");
    for (base, path) in [
        (stack.edge(), grid_path.as_str()),
        (stack.edge(), "/api/v1/users/me"),
        (stack.grids.url.as_str(), grid_path.as_str()),
        (stack.auth.url.as_str(), "/api/v1/users/me"),
    ] {
        let response = stack
            .client
            .get(format!("{base}{path}"))
            .header("authorization", GARBAGE)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{base}{path}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
            "{base}{path}: {challenge}"
        );
    }
    // No token at all where one is required: a challenge without an error.
    let response = send(&stack, Method::GET, "/api/v1/users/me", None, None).await;
    assert_eq!(response.status(), 401);
    assert!(
        !response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=")
    );
}

#[tokio::test]
async fn each_kind_of_error_has_its_own_documented_problem_type() {
    let stack = Stack::with_gateway(|config| {
        config.anonymous.limit = 5;
    })
    .await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let token = format!("Bearer {}", alice.access_token);
    let mut types = BTreeMap::new();
    types.insert(
        "invalid token",
        problem_type(
            send(&stack, Method::GET, "/api/v1/users/me", Some(GARBAGE), None).await,
            401,
        )
        .await,
    );
    types.insert(
        "validation",
        problem_type(
            send(
                &stack,
                Method::POST,
                "/api/v1/grids",
                Some(&token),
                Some(json!({"title": ""})),
            )
            .await,
            400,
        )
        .await,
    );
    types.insert(
        "conflict",
        problem_type(
            send(
                &stack,
                Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(json!({"username": "alice", "email": "other@example.com", "password": PASSWORD})),
            )
            .await,
            409,
        )
        .await,
    );
    types.insert(
        "bad credentials",
        problem_type(
            send(
                &stack,
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": "alice", "password": "not the password"})),
            )
            .await,
            401,
        )
        .await,
    );
    types.insert(
        "not found",
        problem_type(
            send(&stack, Method::GET, "/api/v1/users/nobody", None, None).await,
            404,
        )
        .await,
    );
    let mut limited = None;
    for _ in 0..10 {
        let response = send(&stack, Method::GET, "/api/v1/users/nobody", None, None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(problem_type(response, 429).await);
            break;
        }
    }
    types.insert("rate limited", limited.expect("the budget of 5 ran out"));
    // The account deleted, its still-valid token says so.
    let deleted = send(
        &stack,
        Method::DELETE,
        "/api/v1/users/me",
        Some(&token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(deleted.status(), 202);
    types.insert(
        "account gone",
        problem_type(
            stack
                .client
                .get(format!("{}/api/v1/users/me", stack.auth.url))
                .bearer_auth(&alice.access_token)
                .send()
                .await
                .unwrap(),
            401,
        )
        .await,
    );

    let distinct: std::collections::BTreeSet<_> = types.values().collect();
    assert_eq!(distinct.len(), types.len(), "{types:#?}");
    let document = gridlink_e2e::openapi::public_document().to_json().unwrap();
    for (kind, uri) in &types {
        assert!(
            uri.starts_with("https://gridlink.dev/problems/"),
            "{kind}: {uri}"
        );
        assert!(
            document.contains(uri.as_str()),
            "{kind}: {uri} is not documented"
        );
    }
}

#[tokio::test]
async fn bodies_and_queries_of_the_wrong_shape_are_400_in_one_error_format() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let token = format!("Bearer {}", alice.access_token);
    let mut answers = Vec::new();
    for body in NOT_OBJECTS.map(|body| serde_json::from_str::<Value>(body).unwrap()) {
        let response = send(
            &stack,
            Method::PATCH,
            "/api/v1/users/me",
            Some(&token),
            Some(body.clone()),
        )
        .await;
        answers.push((format!("PATCH /users/me {body}"), response));
    }
    for query in ["limit=abc", "limit=1.5", "owner=me&limit=-1"] {
        let response = send(
            &stack,
            Method::GET,
            &format!("/api/v1/grids?{query}"),
            Some(&token),
            None,
        )
        .await;
        answers.push((format!("GET /grids?{query}"), response));
    }
    let forty_minuses = format!("/api/v1/links?q={}", "-".repeat(40));
    let response = send(&stack, Method::GET, &forty_minuses, Some(&token), None).await;
    answers.push(("a search of 40 '-'".into(), response));

    for (i, (what, response)) in answers.into_iter().enumerate() {
        assert_eq!(response.status(), 400, "{what}");
        let problem: Value = response.json().await.unwrap();
        let text = problem.to_string();
        for leak in [
            "expected",
            "deserialize",
            "i16",
            "i64",
            "struct",
            "invalid type",
        ] {
            assert!(!text.contains(leak), "{what} leaks `{leak}`: {text}");
        }
        // A body that is no object has no fields to name; bad parameters
        // are named like bad body fields.
        if i >= NOT_OBJECTS.len() {
            let named = problem["errors"].as_array().is_some_and(|errors| {
                !errors.is_empty()
                    && errors
                        .iter()
                        .all(|e| e["field"].is_string() && e["message"].is_string())
            });
            assert!(named, "{what}: errors[] names the field: {text}");
        }
    }
    // Nothing was changed by the refused bodies.
    let me: Value = send(&stack, Method::GET, "/api/v1/users/me", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "alice");
}

#[tokio::test]
async fn browsers_get_allow_head_preflights_and_no_cached_secrets() {
    let stack = Stack::with_gateway(|config| {
        config.cors_origins = vec!["http://localhost:5173".into()];
    })
    .await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let token = format!("Bearer {}", alice.access_token);

    let wrong_method = send(&stack, Method::PUT, "/api/v1/users/alice", None, None).await;
    assert_eq!(wrong_method.status(), 405);
    let allow = wrong_method.headers()["allow"].to_str().unwrap().to_owned();
    assert!(
        allow.contains("GET") && allow.contains("HEAD"),
        "Allow: {allow}"
    );

    for path in [
        "/api/v1/users/alice",
        "/api/v1/profiles/alice",
        "/api/v1/auth/jwks.json",
    ] {
        let get = send(&stack, Method::GET, path, None, None).await;
        let head = send(&stack, Method::HEAD, path, None, None).await;
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }

    let preflight = stack
        .client
        .request(
            Method::OPTIONS,
            format!("{}/api/v1/links/order", stack.edge()),
        )
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("PUT"), "{methods}");
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    // Token pairs and the private user are never stored by a cache.
    let login = send(
        &stack,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"login": "alice", "password": PASSWORD})),
    )
    .await;
    let me = send(&stack, Method::GET, "/api/v1/users/me", Some(&token), None).await;
    for (what, response) in [("login", login), ("users/me", me)] {
        assert_eq!(response.status(), 200, "{what}");
        let cache = response.headers()["cache-control"].to_str().unwrap();
        assert!(cache.contains("no-store"), "{what}: Cache-Control {cache}");
    }
}
