//! A link's lifecycle: enabled, a window (starts_at, ends_at) and pinned.
//! The owner sees every link with its state; everyone else (and the
//! profile's batch) only the live ones, pinned first.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use gridlink_test_support::{User, error_fields};

fn at(offset: chrono::Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn create(app: &TestApp, user: &User, fields: Value) -> Value {
    let response = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&user.access_token),
            Some(fields),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn listing(app: &TestApp, grid: &str, token: Option<&str>) -> Vec<Value> {
    let response = app.get(&format!("/api/v1/links?grid={grid}"), token).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// The fields a 400 names, sorted.
async fn refused_fields(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let mut fields = error_fields(&body);
    fields.sort();
    fields
}

fn field<'a>(links: &'a [Value], name: &str) -> Vec<&'a str> {
    links.iter().map(|l| l[name].as_str().unwrap()).collect()
}

#[tokio::test]
async fn visitors_see_only_live_links_pinned_first_and_the_owner_sees_every_state() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let grid = app.grid(&alice, "public").await;
    let hour = chrono::Duration::hours(1);
    let mut slugs = Vec::new();
    for fields in [
        json!({"title": "plain"}),
        json!({"title": "hidden", "enabled": false}),
        json!({"title": "soon", "starts_at": at(hour)}),
        json!({"title": "over", "starts_at": at(-hour * 2), "ends_at": at(-hour)}),
        json!({"title": "running", "starts_at": at(-hour), "ends_at": at(hour)}),
        json!({"title": "top", "pinned": true}),
    ] {
        let mut body = fields;
        body["grid"] = json!(grid);
        body["url"] = json!("https://example.com");
        let link = create(&app, &alice, body).await;
        slugs.push(link["slug"].as_str().unwrap().to_owned());
    }

    let owner = listing(&app, &grid, Some(&alice.access_token)).await;
    assert_eq!(
        field(&owner, "title"),
        ["plain", "hidden", "soon", "over", "running", "top"],
        "the owner's listing is by position"
    );
    assert_eq!(
        field(&owner, "state"),
        ["live", "disabled", "scheduled", "expired", "live", "live"]
    );
    for visitor in [None, Some(bob.access_token.as_str())] {
        let shown = listing(&app, &grid, visitor).await;
        assert_eq!(field(&shown, "title"), ["top", "plain", "running"]);
        for (slug, live) in slugs.iter().zip([true, false, false, false, true, true]) {
            let status = app
                .get(&format!("/api/v1/links/{slug}"), visitor)
                .await
                .status();
            assert_eq!(
                status,
                if live { 200 } else { 404 },
                "{slug} to {visitor:?}"
            );
        }
    }
    let hidden = app
        .get(
            &format!("/api/v1/links/{}", slugs[1]),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(
        hidden.status(),
        200,
        "the owner still reads a disabled link"
    );

    // The profile's batch: public links only, pinned first.
    let batch = app.batch(&[&grid]).await;
    let of_grid = &batch[grid.as_str()];
    let titles: Vec<&str> = of_grid.items.iter().map(|l| l.title.as_str()).collect();
    assert_eq!(titles, ["top", "plain", "running"]);
    assert!(
        of_grid
            .items
            .iter()
            .all(|l| l.href == format!("/r/{}", l.slug))
    );
    assert_eq!(of_grid.next_cursor, None);
}

#[tokio::test]
async fn a_visitors_pages_continue_in_the_public_order() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    for i in 0..7 {
        let body = json!({"grid": grid, "title": format!("l{i}"), "url": "https://example.com",
                          "pinned": i % 3 == 2, "enabled": i != 4});
        create(&app, &alice, body).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/api/v1/links?grid={grid}&limit=2"),
            Some(c) => format!("/api/v1/links?grid={grid}&limit=2&cursor={c}"),
        };
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        seen.extend(
            field(page["items"].as_array().unwrap(), "title")
                .into_iter()
                .map(String::from),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["l2", "l5", "l0", "l1", "l3", "l6"]);
    // The owner's cursors and the visitors' are not interchangeable.
    let owner_page: Value = app
        .get(
            &format!("/api/v1/links?grid={grid}&limit=2"),
            Some(&alice.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let owner_cursor = owner_page["next_cursor"].as_str().unwrap();
    let mixed = app
        .get(
            &format!("/api/v1/links?grid={grid}&cursor={owner_cursor}"),
            None,
        )
        .await;
    assert_eq!(mixed.status(), 400);
}

#[tokio::test]
async fn a_window_opens_and_closes_on_time() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let body = json!({"grid": grid, "title": "flash sale", "url": "https://example.com",
                      "starts_at": at(chrono::Duration::milliseconds(1500)),
                      "ends_at": at(chrono::Duration::milliseconds(3500))});
    create(&app, &alice, body).await;
    assert!(listing(&app, &grid, None).await.is_empty(), "not yet");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        field(&listing(&app, &grid, None).await, "title"),
        ["flash sale"]
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(listing(&app, &grid, None).await.is_empty(), "over");
    let owner = listing(&app, &grid, Some(&alice.access_token)).await;
    assert_eq!(field(&owner, "state"), ["expired"]);
}

#[tokio::test]
async fn bad_windows_are_400_naming_every_field_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let hour = chrono::Duration::hours(1);

    let response = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(
                json!({"grid": grid, "title": "", "url": "https://example.com",
                        "starts_at": "tomorrow", "ends_at": "2026-12-01"}),
            ),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        refused_fields(response).await,
        ["ends_at", "starts_at", "title"]
    );

    let reversed = json!({"grid": grid, "title": "x", "url": "https://example.com",
                          "starts_at": at(hour), "ends_at": at(-hour)});
    let response = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(reversed),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(refused_fields(response).await, ["ends_at"]);
    assert!(
        listing(&app, &grid, Some(&alice.access_token))
            .await
            .is_empty()
    );

    // One end against the stored other end, and clearing with null.
    let body =
        json!({"grid": grid, "title": "x", "url": "https://example.com", "starts_at": at(hour)});
    let link = create(&app, &alice, body).await;
    let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"ends_at": at(-hour)})),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(refused_fields(response).await, ["ends_at"]);
    let unchanged: Value = app
        .get(&path, Some(&alice.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged, link, "a refused change changes nothing");

    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"starts_at": null, "pinned": true})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(
        (&changed["starts_at"], &changed["pinned"], &changed["state"]),
        (&Value::Null, &json!(true), &json!("live"))
    );
    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"enabled": false})),
        )
        .await;
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["state"], "disabled");
}

#[tokio::test]
async fn a_batch_holds_the_first_50_public_links_and_the_cursor_to_the_rest() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "unlisted").await;
    let small = app.grid(&alice, "public").await;
    for i in 0..53 {
        let body = json!({"grid": grid, "title": format!("l{i:02}"), "url": "https://example.com",
                          "pinned": i == 52, "enabled": i != 10});
        create(&app, &alice, body).await;
    }
    let batch = app.batch(&[&grid, &small]).await;
    let first = &batch[grid.as_str()];
    assert_eq!(first.items.len(), 50);
    assert_eq!(first.items[0].title, "l52", "pinned first");
    assert!(
        first.items.iter().all(|l| l.title != "l10"),
        "disabled links are left out"
    );
    let cursor = first.next_cursor.as_deref().expect("there are more");
    assert_eq!(batch[small.as_str()].next_cursor, None);

    let rest: Value = app
        .get(&format!("/api/v1/links?grid={grid}&cursor={cursor}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        field(rest["items"].as_array().unwrap(), "title"),
        ["l50", "l51"]
    );
    assert_eq!(rest["next_cursor"], Value::Null);
}
