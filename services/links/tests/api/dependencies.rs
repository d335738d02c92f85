//! When a service the links service calls is down, its answers say so: a 503
//! with Retry-After, never a 404 that tells the client its link is gone, and
//! nothing is changed.

use std::time::Duration;

use gridlink_test_support::problem;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

async fn until_refused(url: &str) {
    for _ in 0..100 {
        if reqwest::get(format!("{url}/healthz")).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} still answers");
}

#[tokio::test]
async fn link_reads_and_writes_answer_503_while_the_grids_service_is_down() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let link = app.link(&alice, &grid, "docs").await;
    let slug = link["slug"].as_str().unwrap().to_owned();
    app.grids.stop();
    until_refused(&app.grids.url).await;

    let token = Some(alice.access_token.as_str());
    let requests = [
        (Method::GET, format!("/api/v1/links/{slug}"), None),
        (Method::GET, format!("/api/v1/links?grid={grid}"), None),
        (
            Method::POST,
            "/api/v1/links".to_owned(),
            Some(json!({"grid": grid, "title": "new", "url": "https://example.com"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/links/{slug}"),
            Some(json!({"title": "changed"})),
        ),
        (
            Method::PUT,
            "/api/v1/links/order".to_owned(),
            Some(json!({"grid": grid, "links": [slug]})),
        ),
        (Method::DELETE, format!("/api/v1/links/{slug}"), None),
    ];
    for (method, path, body) in requests {
        let response = app.call(method.clone(), &path, token, body).await;
        assert!(
            response.headers().contains_key("retry-after"),
            "{method} {path} says when to retry"
        );
        problem(response, 503).await;
    }
    assert_eq!(
        app.sql_count("SELECT count(*) AS n FROM links WHERE NOT is_deleted AND title = 'docs'")
            .await,
        1,
        "nothing changed while grids was down"
    );
}

#[tokio::test]
async fn tokens_that_cannot_be_checked_while_auth_is_down_are_503_not_401() {
    // The JWKS lives with the auth service; nothing answers there.
    let app = spawn_app_with(|config| {
        config.tokens = auth_client::TokenVerification::Jwks {
            auth: grids_client::ClientSettings::local("http://127.0.0.1:1"),
            audience: gridlink_access_token::TokenAudience::from_env(),
        };
    })
    .await;
    let alice = app.user("alice").await;
    let response = app
        .call(
            Method::GET,
            "/api/v1/links?q=anything",
            Some(&alice.access_token),
            None,
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
}
