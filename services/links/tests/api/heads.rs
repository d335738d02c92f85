//! The rendered heads behind the pages' batch: whatever was written, the
//! batch shows exactly what the visitors' listing (computed from the links
//! at each read) shows, and reads one row per grid to do it.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel_async::SimpleAsyncConnection;
use gridlink_test_support::{GATEWAY_TOKEN, User};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn at(offset: chrono::Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A grid's first 50 links as a visitor lists them, in the pages' shape
/// (without the owner's fields, which are the same for every live link).
async fn listed(app: &TestApp, grid: &str) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/v1/links?grid={grid}&limit=50"), None)
        .await
        .json()
        .await
        .unwrap();
    let mut items = page["items"].as_array().unwrap().clone();
    for item in &mut items {
        let fields = item.as_object_mut().unwrap();
        assert_eq!(fields.remove("state"), Some(json!("live")));
        assert_eq!(fields.remove("enabled"), Some(json!(true)));
    }
    items
}

/// The batch's answer for `grid`, and how many statements it ran.
async fn batched(app: &TestApp, grid: &str) -> (Value, u64) {
    let before = app.links.statements(&app.client).await;
    let response = app
        .client
        .post(format!("{}/internal/v1/links/batch", app.links.url))
        .bearer_auth(GATEWAY_TOKEN)
        .json(&json!({"grids": [grid]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let statements = app.links.statements(&app.client).await - before;
    (answer["grids"][grid].clone(), statements)
}

/// The batch shows what the listing shows, from the head alone.
async fn shows_the_links(app: &TestApp, grid: &str, after: &str) {
    let (head, statements) = batched(app, grid).await;
    assert_eq!(
        head["items"],
        json!(listed(app, grid).await),
        "after {after}"
    );
    assert_eq!(
        statements, 1,
        "after {after}, the batch read the head alone"
    );
}

async fn write(app: &TestApp, user: &User, method: Method, path: &str, body: Value) -> Value {
    let response = app
        .call(method, path, Some(&user.access_token), Some(body))
        .await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn every_kind_of_write_shows_in_the_next_batch_which_reads_one_row() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let mut slugs = Vec::new();
    for title in ["a", "b", "c"] {
        let link = app.link(&alice, &grid, title).await;
        slugs.push(link["slug"].as_str().unwrap().to_owned());
        shows_the_links(&app, &grid, "a creation").await;
    }
    let link = |i: usize| format!("/api/v1/links/{}", slugs[i]);
    let changes = [
        ("a new title", link(1), json!({"title": "renamed"})),
        ("a move", link(2), json!({"position": 0})),
        ("disabling", link(0), json!({"enabled": false})),
        ("enabling", link(0), json!({"enabled": true})),
        ("pinning", link(1), json!({"pinned": true})),
        (
            "a new url",
            link(0),
            json!({"url": "https://example.org/moved"}),
        ),
        (
            "a window that opened",
            link(2),
            json!({"starts_at": at(-chrono::Duration::hours(1))}),
        ),
        (
            "a window that ended",
            link(0),
            json!({"ends_at": at(-chrono::Duration::seconds(1)), "starts_at": null}),
        ),
    ];
    for (what, path, body) in changes {
        write(&app, &alice, Method::PATCH, &path, body).await;
        shows_the_links(&app, &grid, what).await;
    }
    let order = json!({"grid": grid, "links": [slugs[0], slugs[2], slugs[1]]});
    write(&app, &alice, Method::PUT, "/api/v1/links/order", order).await;
    shows_the_links(&app, &grid, "a reorder").await;
    let deleted = app
        .call(Method::DELETE, &link(1), Some(&alice.access_token), None)
        .await;
    assert_eq!(deleted.status(), 204);
    shows_the_links(&app, &grid, "a deletion").await;
    assert_eq!(listed(&app, &grid).await.len(), 1, "only c is left on show");
}

#[tokio::test]
async fn a_head_is_rendered_again_when_missing_of_another_format_or_past_its_next_change() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    app.link(&alice, &grid, "always").await;
    let soon = at(chrono::Duration::milliseconds(1500));
    let body =
        json!({"grid": grid, "title": "soon", "url": "https://example.com", "starts_at": soon});
    write(&app, &alice, Method::POST, "/api/v1/links", body).await;

    // Links that came in without a write through the service (a restore, a
    // migration) have no head: the first batch renders and keeps one.
    app.sql_lines(&format!(
        "DELETE FROM public_heads; \
         INSERT INTO links (slug, grid, owner, title, url, position) \
         VALUES ('li_{:032}', '{grid}', '{}', 'restored', 'https://example.com/r', 2)",
        7, alice.id
    ))
    .await;
    let (head, statements) = batched(&app, &grid).await;
    assert_eq!(head["items"], json!(listed(&app, &grid).await));
    assert_eq!(
        head["items"].as_array().unwrap().len(),
        2,
        "soon is not on yet"
    );
    let changes_at: DateTime<Utc> = head["changes_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(changes_at, soon.parse::<DateTime<Utc>>().unwrap());
    assert!(statements > 1, "rendered: {statements} statements");
    shows_the_links(&app, &grid, "the head was kept").await;

    // A head rendered by another version of the service is rendered again.
    app.sql_lines("UPDATE public_heads SET format = 0, items = '[]'")
        .await;
    let (head, statements) = batched(&app, &grid).await;
    assert_eq!(head["items"], json!(listed(&app, &grid).await));
    assert!(statements > 1);
    shows_the_links(&app, &grid, "rendering it again").await;

    // Past the moment a window opens, the head no longer holds.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (head, _) = batched(&app, &grid).await;
    let titles: Vec<&str> = head["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["always", "soon", "restored"]);
    assert_eq!(head["changes_at"], Value::Null);
    shows_the_links(&app, &grid, "the window opened").await;
}

#[tokio::test]
async fn a_reader_keeps_a_head_only_when_it_holds_the_grid_and_the_owner_is_not_erased() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    app.link(&alice, &grid, "a").await;
    let heads = format!("SELECT count(*) AS n FROM public_heads WHERE grid = '{grid}'");
    let url = &app.links.db.as_ref().unwrap().url;

    // A writer holds the grid: the reader serves what it rendered, keeps nothing.
    app.sql_lines("DELETE FROM public_heads").await;
    let mut writer = gridlink_db::connect(url).await.unwrap();
    writer
        .batch_execute(&format!(
            "SELECT pg_advisory_lock(hashtextextended('{grid}', 0))"
        ))
        .await
        .unwrap();
    let (head, _) = batched(&app, &grid).await;
    assert_eq!(head["items"], json!(listed(&app, &grid).await));
    assert_eq!(
        app.sql_count(&heads).await,
        0,
        "not kept while the grid is held"
    );
    writer
        .batch_execute(&format!(
            "SELECT pg_advisory_unlock(hashtextextended('{grid}', 0))"
        ))
        .await
        .unwrap();
    batched(&app, &grid).await;
    assert_eq!(app.sql_count(&heads).await, 1, "kept once the grid is free");

    // An erased owner's links are never written back.
    app.sql_lines(&format!(
        "DELETE FROM public_heads; INSERT INTO erased_users (user_id) VALUES ('{}')",
        alice.id
    ))
    .await;
    let (head, _) = batched(&app, &grid).await;
    assert_eq!(head["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.sql_count(&heads).await,
        0,
        "not kept for an erased owner"
    );
}
