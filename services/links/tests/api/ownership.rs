//! A second user tries every write on someone else's links and grids.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::problem;

#[tokio::test]
async fn nobody_but_the_owner_can_change_links() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let intruder = app.user("intruder").await;
    let intruder_grid = app.grid(&intruder, "public").await;
    for visibility in ["public", "unlisted", "private"] {
        let grid = app.grid(&owner, visibility).await;
        let link = app.link(&owner, &grid, "mine").await;
        let slug = link["slug"].as_str().unwrap();
        let path = format!("/api/v1/links/{slug}");
        let expected = if visibility == "private" { 404 } else { 403 };
        let token = Some(intruder.access_token.as_str());

        problem(
            app.call(Method::PATCH, &path, token, Some(json!({"title": "pwned"})))
                .await,
            expected,
        )
        .await;
        problem(app.call(Method::DELETE, &path, token, None).await, expected).await;
        let add = json!({"grid": grid, "title": "spam", "url": "https://spam.example"});
        problem(
            app.call(Method::POST, "/api/v1/links", token, Some(add))
                .await,
            expected,
        )
        .await;
        let reorder = json!({"grid": grid, "links": [slug]});
        problem(
            app.call(Method::PUT, "/api/v1/links/order", token, Some(reorder))
                .await,
            expected,
        )
        .await;
        // Moving the link into the intruder's own grid is not possible either.
        let hijack = app
            .call(
                Method::PATCH,
                &path,
                token,
                Some(json!({"grid": intruder_grid})),
            )
            .await;
        problem(hijack, 400).await;
        if visibility == "private" {
            problem(app.get(&path, token).await, 404).await;
            problem(app.get(&path, None).await, 404).await;
            problem(
                app.get(&format!("/api/v1/links?grid={grid}"), token).await,
                404,
            )
            .await;
        }
        let after: Value = app
            .get(&path, Some(&owner.access_token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(after, link, "{visibility}: unchanged");
        assert_eq!(app.titles(&owner, &grid).await, ["mine"]);
    }
}

#[tokio::test]
async fn anonymous_writes_are_401() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let grid = app.grid(&owner, "public").await;
    let link = app.link(&owner, &grid, "a").await;
    let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    problem(
        app.call(Method::PATCH, &path, None, Some(json!({"title": "x"})))
            .await,
        401,
    )
    .await;
    problem(app.call(Method::DELETE, &path, None, None).await, 401).await;
    problem(
        app.call(
            Method::PUT,
            "/api/v1/links/order",
            None,
            Some(json!({"grid": grid, "links": []})),
        )
        .await,
        401,
    )
    .await;
}
