use serde_json::Value;

use crate::helpers::{INTERNAL_TOKEN, problem, spawn_app};

#[tokio::test]
async fn internal_routes_need_a_configured_service_token() {
    let app = spawn_app().await;
    app.signup("jack").await;
    let path = "/internal/v1/users/by-username/jack";
    problem(app.get(path, None).await, 401).await;
    problem(
        app.get(path, Some("test-gateway-token-0123456789abcdeX"))
            .await,
        401,
    )
    .await;
    // A user's access token is not a service token.
    let account = app.signup("kate").await;
    problem(app.get(path, Some(&account.access_token)).await, 401).await;

    let response = app.get(path, Some(INTERNAL_TOKEN)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "jack");
    assert!(body.get("email").is_none());
}

#[tokio::test]
async fn unknown_usernames_are_404_internally_too() {
    let app = spawn_app().await;
    problem(
        app.get(
            "/internal/v1/users/by-username/nobody",
            Some(INTERNAL_TOKEN),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn users_are_fetched_in_batches_by_id() {
    let app = spawn_app().await;
    let a = app.signup("liam").await;
    let b = app.signup("mia").await;
    let unknown = gridlink_ids::UserId::generate().into_string();
    let path = format!("/internal/v1/users?ids={},{},{}", a.id, b.id, unknown);
    let body: Value = app
        .get(&path, Some(INTERNAL_TOKEN))
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["liam", "mia"]);

    problem(
        app.get("/internal/v1/users?ids=not-an-id", Some(INTERNAL_TOKEN))
            .await,
        400,
    )
    .await;
    let too_many = (0..101)
        .map(|_| gridlink_ids::UserId::generate().into_string())
        .collect::<Vec<_>>()
        .join(",");
    let path = format!("/internal/v1/users?ids={too_many}");
    problem(app.get(&path, Some(INTERNAL_TOKEN)).await, 400).await;
    problem(
        app.get("/internal/v1/users", Some(INTERNAL_TOKEN)).await,
        400,
    )
    .await;
}
