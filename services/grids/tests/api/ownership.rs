//! A second user tries everything on someone else's grids: all refused, nothing changed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::problem;

#[tokio::test]
async fn nobody_but_the_owner_can_change_or_delete_a_grid() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let intruder = app.user("intruder").await;
    for visibility in ["public", "unlisted", "private"] {
        let grid = app.create_grid(&owner, "Mine", visibility).await;
        let path = format!("/api/v1/grids/{}", grid["slug"].as_str().unwrap());
        // Visible grids say 403; a private grid does not even exist for others.
        let expected = if visibility == "private" { 404 } else { 403 };
        let patch = app
            .call(
                Method::PATCH,
                &path,
                Some(&intruder.access_token),
                Some(json!({"title": "pwned"})),
            )
            .await;
        problem(patch, expected).await;
        problem(
            app.call(Method::DELETE, &path, Some(&intruder.access_token), None)
                .await,
            expected,
        )
        .await;
        problem(
            app.call(Method::PATCH, &path, None, Some(json!({"title": "pwned"})))
                .await,
            401,
        )
        .await;
        problem(app.call(Method::DELETE, &path, None, None).await, 401).await;

        let after: Value = app
            .get(&path, Some(&owner.access_token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(after, grid, "{visibility} grid unchanged");
    }
    // The creations' announcements, and nothing the refused attempts wrote.
    assert_eq!(
        app.sql_count(
            "SELECT count(*) AS n FROM outbox \
             WHERE NOT (event_type = 'grid.changed.v1' AND payload->>'change' = 'created')"
        )
        .await,
        0
    );
    assert_eq!(app.sql_count("SELECT count(*) AS n FROM outbox").await, 3);
}

#[tokio::test]
async fn others_list_only_public_grids() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let other = app.user("other").await;
    for visibility in ["public", "unlisted", "private"] {
        app.create_grid(&owner, visibility, visibility).await;
    }
    let titles = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/api/v1/grids?owner={}", owner.id);
    let anonymous: Value = app.get(&path, None).await.json().await.unwrap();
    assert_eq!(titles(anonymous), ["public"]);
    let by_other: Value = app
        .get(&path, Some(&other.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(by_other), ["public"]);
    let by_owner: Value = app
        .get(&path, Some(&owner.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        titles(by_owner),
        ["private", "unlisted", "public"],
        "newest first"
    );
    let me: Value = app
        .get("/api/v1/grids?owner=me", Some(&owner.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(me).len(), 3);
    let implicit: Value = app
        .get("/api/v1/grids", Some(&owner.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(implicit).len(), 3);

    problem(app.get("/api/v1/grids?owner=me", None).await, 401).await;
    // No owner means "mine": without a token, that needs authentication.
    problem(app.get("/api/v1/grids", None).await, 401).await;
    problem(app.get("/api/v1/grids?owner=bob", None).await, 400).await;
}

#[tokio::test]
async fn a_token_signed_by_someone_else_is_refused() {
    let app = spawn_app().await;
    // Someone else's signing key: its tokens mean nothing here.
    let rogue = gridlink_test_support::TestTokens::new();
    let mallory = rogue.user("mallory");
    let response = app
        .call(
            Method::POST,
            "/api/v1/grids",
            Some(&mallory.access_token),
            Some(json!({"title": "x"})),
        )
        .await;
    problem(response, 401).await;
}
