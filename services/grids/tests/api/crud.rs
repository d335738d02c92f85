use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::{error_fields, problem};

#[tokio::test]
async fn creating_a_grid_returns_201_with_defaults() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/grids",
            Some(&alice.access_token),
            Some(json!({"title": "  My links  "})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let grid: Value = response.json().await.unwrap();
    let slug = grid["slug"].as_str().unwrap();
    assert!(gridlink_ids::GridSlug::parse(slug).is_ok(), "{slug}");
    assert_eq!(location, format!("/api/v1/grids/{slug}"));
    assert_eq!(grid["owner"], alice.id.as_str());
    assert_eq!(grid["title"], "My links");
    assert_eq!(grid["description"], "");
    assert_eq!(grid["visibility"], "public");
    assert_eq!(grid["created_on"], grid["modified_on"]);
    let keys: Vec<&String> = grid.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "created_on",
            "description",
            "modified_on",
            "owner",
            "slug",
            "title",
            "visibility"
        ]
    );

    let fetched: Value = app.get(&location, None).await.json().await.unwrap();
    assert_eq!(fetched, grid);
}

#[tokio::test]
async fn creating_needs_a_valid_token() {
    let app = spawn_app().await;
    problem(
        app.call(
            Method::POST,
            "/api/v1/grids",
            None,
            Some(json!({"title": "x"})),
        )
        .await,
        401,
    )
    .await;
    problem(
        app.call(
            Method::POST,
            "/api/v1/grids",
            Some("not-a-token"),
            Some(json!({"title": "x"})),
        )
        .await,
        401,
    )
    .await;
}

/// The service's first signed-in request had a broken body: it must get its
/// 400 without leaving the service unable to check tokens for a while.
#[tokio::test]
async fn a_broken_first_request_does_not_lock_out_good_tokens() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let broken = app
        .client
        .post(app.url("/api/v1/grids"))
        .bearer_auth(&ann.access_token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    problem(broken, 400).await;
    app.create_grid(&ann, "Right after", "public").await;
}

#[tokio::test]
async fn invalid_fields_are_400_and_create_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(129)}), "title"),
        (json!({"title": 7}), "title"),
        (json!({}), "title"),
        (
            json!({"title": "ok", "description": "d".repeat(2001)}),
            "description",
        ),
        (json!({"title": "ok", "visibility": "secret"}), "visibility"),
        (
            json!({"title": "ok", "owner": "us_00000000000000000000000000000000"}),
            "owner",
        ),
        (json!({"title": "ok", "is_deleted": true}), "is_deleted"),
        (
            json!({"title": "ok", "slug": "gr_00000000000000000000000000000000"}),
            "slug",
        ),
        (
            json!({"title": "ok", "created_on": "2020-01-01T00:00:00Z"}),
            "created_on",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .call(
                Method::POST,
                "/api/v1/grids",
                Some(&alice.access_token),
                Some(body.clone()),
            )
            .await;
        let problem_body = problem(response, 400).await;
        assert_eq!(error_fields(&problem_body), vec![field], "{body}");
    }
    let big = json!({"title": "ok", "description": "x".repeat(70_000)});
    problem(
        app.call(
            Method::POST,
            "/api/v1/grids",
            Some(&alice.access_token),
            Some(big),
        )
        .await,
        413,
    )
    .await;
    let text = app
        .client
        .post(app.url("/api/v1/grids"))
        .bearer_auth(&alice.access_token)
        .header("content-type", "text/plain")
        .body(r#"{"title":"ok"}"#)
        .send()
        .await
        .unwrap();
    problem(text, 415).await;
    assert_eq!(app.sql_count("SELECT count(*) AS n FROM grids").await, 0);
}

#[tokio::test]
async fn visibility_decides_who_can_read_a_grid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    for (visibility, anonymous, other) in [
        ("public", 200, 200),
        ("unlisted", 200, 200),
        ("private", 404, 404),
    ] {
        let grid = app.create_grid(&alice, visibility, visibility).await;
        let path = format!("/api/v1/grids/{}", grid["slug"].as_str().unwrap());
        assert_eq!(
            app.get(&path, None).await.status(),
            anonymous,
            "{visibility} anonymously"
        );
        assert_eq!(
            app.get(&path, Some(&bob.access_token)).await.status(),
            other,
            "{visibility} by another user"
        );
        assert_eq!(
            app.get(&path, Some(&alice.access_token)).await.status(),
            200,
            "{visibility} by the owner"
        );
    }
    problem(
        app.get("/api/v1/grids/gr_00000000000000000000000000000000", None)
            .await,
        404,
    )
    .await;
    problem(app.get("/api/v1/grids/not-a-slug", None).await, 404).await;
}

#[tokio::test]
async fn the_owner_can_patch_a_grid() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.create_grid(&alice, "Old", "public").await;
    let path = format!("/api/v1/grids/{}", grid["slug"].as_str().unwrap());
    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"title": "New", "visibility": "private", "description": "mine"})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let patched: Value = response.json().await.unwrap();
    assert_eq!(
        (patched["title"].as_str(), patched["visibility"].as_str()),
        (Some("New"), Some("private"))
    );
    assert_eq!(patched["description"], "mine");
    assert_eq!(patched["created_on"], grid["created_on"]);
    assert_ne!(patched["modified_on"], grid["modified_on"]);
    assert_eq!(app.get(&path, None).await.status(), 404, "now private");

    let invalid = app
        .call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"title": "", "owner": "x"})),
        )
        .await;
    problem(invalid, 400).await;
}

#[tokio::test]
async fn deleting_a_grid_soft_deletes_it_and_writes_the_event() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.create_grid(&alice, "Doomed", "public").await;
    let slug = grid["slug"].as_str().unwrap();
    let path = format!("/api/v1/grids/{slug}");
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
    problem(
        app.call(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            Some(json!({"title": "back"})),
        )
        .await,
        404,
    )
    .await;
    let listed: Value = app
        .get("/api/v1/grids?owner=me", Some(&alice.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);

    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) AS n FROM grids WHERE slug = '{slug}' AND is_deleted AND deleted_on IS NOT NULL"
        ))
        .await,
        1,
        "the row is kept as a tombstone"
    );
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE event_type = 'grid.deleted.v1' \
             AND payload->>'grid' = '{slug}' AND payload->>'owner' = '{}'",
            alice.id
        ))
        .await,
        1
    );
}
