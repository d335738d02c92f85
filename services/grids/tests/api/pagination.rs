use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use gridlink_test_support::{User, error_fields, problem};

async fn all_pages(
    app: &TestApp,
    user: &User,
    limit: usize,
    between: impl AsyncFn(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 0.. {
        let mut path = format!("/api/v1/grids?owner=me&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app
            .get(&path, Some(&user.access_token))
            .await
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        seen.extend(
            items
                .iter()
                .map(|g| g["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        between(page_number).await;
    }
    seen
}

#[tokio::test]
async fn pages_return_every_grid_once_newest_first() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for i in 0..25 {
        app.create_grid(&alice, &format!("g{i:02}"), "public").await;
    }
    let seen = all_pages(&app, &alice, 10, async |_| {}).await;
    let expected: Vec<String> = (0..25).rev().map(|i| format!("g{i:02}")).collect();
    assert_eq!(seen, expected);

    let default_page: Value = app
        .get("/api/v1/grids?owner=me", Some(&alice.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        default_page["items"].as_array().unwrap().len(),
        20,
        "default limit"
    );
}

#[tokio::test]
async fn grids_created_between_page_fetches_neither_repeat_nor_hide_others() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for i in 0..12 {
        app.create_grid(&alice, &format!("old{i:02}"), "public")
            .await;
    }
    let seen = all_pages(&app, &alice, 5, async |n| {
        app.create_grid(&alice, &format!("new{n}"), "public").await;
    })
    .await;
    let old: Vec<&String> = seen.iter().filter(|t| t.starts_with("old")).collect();
    let expected: Vec<String> = (0..12).rev().map(|i| format!("old{i:02}")).collect();
    assert_eq!(
        old,
        expected.iter().collect::<Vec<_>>(),
        "every old grid once, in order"
    );
    assert_eq!(
        seen.len(),
        seen.iter().collect::<HashSet<_>>().len(),
        "no duplicates"
    );
}

#[tokio::test]
async fn bad_limits_and_cursors_are_400() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    for i in 0..3 {
        app.create_grid(&alice, &format!("g{i}"), "public").await;
    }
    for limit in ["0", "101", "-1", "ten"] {
        let response = app
            .get(
                &format!("/api/v1/grids?owner=me&limit={limit}"),
                Some(&alice.access_token),
            )
            .await;
        problem(response, 400).await;
    }
    let page: Value = app
        .get("/api/v1/grids?owner=me&limit=1", Some(&alice.access_token))
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();

    // Tampered: flip a character of the payload.
    let mut tampered = cursor.clone().into_bytes();
    tampered[2] = if tampered[2] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "garbage", "eyJ9.eyJ9"] {
        let response = app
            .get(
                &format!("/api/v1/grids?owner=me&limit=1&cursor={bad}"),
                Some(&alice.access_token),
            )
            .await;
        let body = problem(response, 400).await;
        assert_eq!(error_fields(&body), ["cursor"]);
    }
    // A cursor from Alice's private listing does not page Bob's view of it.
    let response = app
        .get(
            &format!("/api/v1/grids?owner={}&limit=1&cursor={cursor}", alice.id),
            Some(&bob.access_token),
        )
        .await;
    problem(response, 400).await;
}

#[tokio::test]
async fn an_expired_cursor_is_400() {
    // A service whose cursors expire as soon as they are issued.
    let app = spawn_app_with(|config| {
        config.cursors = gridlink_service::CursorCodec::new(b"gridlink-development-cursor-key", -10)
    })
    .await;
    let alice = app.user("alice").await;
    for title in ["a", "b"] {
        app.create_grid(&alice, title, "public").await;
    }
    let first: serde_json::Value = app
        .get("/api/v1/grids?owner=me&limit=1", Some(&alice.access_token))
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let response = app
        .get(
            &format!("/api/v1/grids?owner=me&limit=1&cursor={cursor}"),
            Some(&alice.access_token),
        )
        .await;
    let body = problem(response, 400).await;
    assert!(body.to_string().contains("expired"), "{body}");
}
