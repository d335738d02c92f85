use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::{error_fields, problem};

#[tokio::test]
async fn creating_a_link_returns_201_with_defaults() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(json!({"grid": grid, "title": " Docs ", "url": "https://docs.rs"})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let link: Value = response.json().await.unwrap();
    assert!(gridlink_ids::LinkSlug::parse(link["slug"].as_str().unwrap()).is_ok());
    assert_eq!(link["grid"], grid.as_str());
    assert_eq!(link["title"], "Docs");
    assert_eq!(link["url"], "https://docs.rs/");
    assert_eq!(link["background"], Value::Null);
    assert_eq!(
        (link["width"].as_i64(), link["height"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(link["position"], 0);
    let keys: Vec<&String> = link.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "background",
            "created_on",
            "enabled",
            "ends_at",
            "grid",
            "height",
            "href",
            "modified_on",
            "pinned",
            "position",
            "slug",
            "starts_at",
            "state",
            "title",
            "url",
            "width"
        ]
    );
    assert_eq!(
        (&link["enabled"], &link["pinned"], &link["state"]),
        (&json!(true), &json!(false), &json!("live"))
    );
    assert_eq!(
        (&link["starts_at"], &link["ends_at"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        link["href"],
        format!("/r/{}", link["slug"].as_str().unwrap())
    );
    let fetched: Value = app.get(&location, None).await.json().await.unwrap();
    assert_eq!(fetched, link);

    let full = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(json!({"grid": grid, "title": "Big", "url": "http://example.com/x", "background": "#ff8800", "width": 4, "height": 2})),
        )
        .await;
    let full: Value = full.json().await.unwrap();
    assert_eq!(
        (
            full["width"].as_i64(),
            full["height"].as_i64(),
            full["position"].as_i64()
        ),
        (Some(4), Some(2), Some(1))
    );
    assert_eq!(full["background"], "#ff8800");
}

#[tokio::test]
async fn invalid_links_are_400_naming_the_field() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let ok = json!({"grid": grid, "title": "t", "url": "https://example.com"});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("url", json!("javascript:alert(1)")), "url"),
        (with("url", json!("ftp://example.com")), "url"),
        (with("url", json!("not a url")), "url"),
        (with("url", json!(42)), "url"),
        (with("title", json!("")), "title"),
        (with("title", json!("x".repeat(201))), "title"),
        (with("width", json!(0)), "width"),
        (with("width", json!(5)), "width"),
        (with("height", json!(2.5)), "height"),
        (with("height", json!("2")), "height"),
        (with("position", json!(-1)), "position"),
        (with("grid", json!("not-a-grid")), "grid"),
        (
            with("owner", json!("us_00000000000000000000000000000000")),
            "owner",
        ),
        (
            with("slug", json!("li_00000000000000000000000000000000")),
            "slug",
        ),
        (with("is_deleted", json!(true)), "is_deleted"),
    ];
    for (body, field) in cases {
        let response = app
            .call(
                Method::POST,
                "/api/v1/links",
                Some(&alice.access_token),
                Some(body.clone()),
            )
            .await;
        let problem_body = problem(response, 400).await;
        assert_eq!(error_fields(&problem_body), vec![field], "{body}");
    }
    assert!(
        app.titles(&alice, &grid).await.is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_link_needs_an_existing_grid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let body = json!({"grid": "gr_00000000000000000000000000000000", "title": "t", "url": "https://example.com"});
    problem(
        app.call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(body.clone()),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.call(Method::POST, "/api/v1/links", None, Some(body))
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn the_owner_can_patch_a_link_but_not_move_it_to_another_grid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let link = app.link(&alice, &grid, "a").await;
    let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"title": "renamed", "url": "https://rust-lang.org", "width": 3, "background": "#00f"})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["title"], "renamed");
    assert_eq!(patched["url"], "https://rust-lang.org/");
    assert_eq!(patched["width"], 3);
    assert_eq!(patched["height"], 1);
    assert_eq!(patched["background"], "#00f");
    let cleared: Value = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"background": ""})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["background"], Value::Null);

    let other_grid = app.grid(&alice, "public").await;
    let moved = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"grid": other_grid})),
        )
        .await;
    let body = problem(moved, 400).await;
    assert_eq!(error_fields(&body), ["grid"]);
    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"url": "mailto:x@y.z"})),
        )
        .await;
    problem(bad, 400).await;
}

#[tokio::test]
async fn deleting_a_link_hides_it_and_closes_the_gap() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let mut slugs = Vec::new();
    for title in ["a", "b", "c"] {
        slugs.push(
            app.link(&alice, &grid, title).await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let path = format!("/api/v1/links/{}", slugs[1]);
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&alice.access_token), None)
            .await
            .status(),
        204
    );
    problem(app.get(&path, Some(&alice.access_token)).await, 404).await;
    problem(
        app.call(Method::DELETE, &path, Some(&alice.access_token), None)
            .await,
        404,
    )
    .await;
    assert_eq!(app.titles(&alice, &grid).await, ["a", "c"]);
    // The row stays as a tombstone.
    let tombstones = app
        .sql_count(&format!(
            "SELECT count(*) AS n FROM links WHERE slug = '{}' AND is_deleted AND deleted_on IS NOT NULL AND position IS NULL",
            slugs[1]
        ))
        .await;
    assert_eq!(tombstones, 1);
}

#[tokio::test]
async fn links_of_a_deleted_grid_are_no_longer_served() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let link = app.link(&alice, &grid, "a").await;
    let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    assert_eq!(app.get(&path, None).await.status(), 200);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/grids/{grid}"),
            Some(&alice.access_token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    problem(app.get(&path, None).await, 404).await;
    problem(app.get(&path, Some(&alice.access_token)).await, 404).await;
    problem(
        app.get(
            &format!("/api/v1/links?grid={grid}"),
            Some(&alice.access_token),
        )
        .await,
        404,
    )
    .await;
    let add = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(json!({"grid": grid, "title": "t", "url": "https://e.com"})),
        )
        .await;
    problem(add, 404).await;
}
