use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, error_fields, problem, spawn_app};

#[tokio::test]
async fn me_returns_the_private_user_with_email() {
    let app = spawn_app().await;
    let account = app.signup("tara").await;
    let me: Value = app
        .get("/api/v1/users/me", Some(&account.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], account.id.as_str());
    assert_eq!(me["email"], account.email.as_str());
    assert_eq!(me["username"], "tara");
}

#[tokio::test]
async fn patching_me_changes_only_the_given_fields() {
    let app = spawn_app().await;
    let account = app.signup("uma").await;
    let response = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"bio": "I make grids"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["bio"], "I make grids");
    assert_eq!(body["display_name"], "uma");

    let response = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"display_name": "  Uma T.  "}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["display_name"], "Uma T.");
    assert_eq!(body["bio"], "I make grids");

    let public: Value = app
        .get("/api/v1/users/UMA", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["display_name"], "Uma T.");
    assert!(
        public.get("email").is_none(),
        "the public view has no email"
    );
}

#[tokio::test]
async fn invalid_profile_changes_are_400_and_change_nothing() {
    let app = spawn_app().await;
    let account = app.signup("vera").await;
    let cases = [
        (json!({"display_name": ""}), "display_name"),
        (json!({"display_name": "x".repeat(65)}), "display_name"),
        (json!({"bio": "x".repeat(1001)}), "bio"),
        (json!({"bio": 5}), "bio"),
        (json!({"username": "hijack"}), "username"),
        (json!({"email": "new@example.com"}), "email"),
    ];
    for (body, field) in cases {
        let response = app
            .send(
                Method::PATCH,
                "/api/v1/users/me",
                &account.access_token,
                &body,
            )
            .await;
        let problem_body = problem(response, 400).await;
        assert_eq!(error_fields(&problem_body), vec![field], "{body}");
    }
    let me: Value = app
        .get("/api/v1/users/me", Some(&account.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["display_name"].as_str(), me["bio"].as_str()),
        (Some("vera"), Some(""))
    );
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_every_other() {
    let app = spawn_app().await;
    let account = app.signup("wendy").await;
    let second: Value = app.login("wendy", PASSWORD).await.json().await.unwrap();
    let new_password = "a completely different passphrase";
    let response = app
        .send(
            Method::PUT,
            "/api/v1/users/me/password",
            &account.access_token,
            &json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let renewed: Value = response.json().await.unwrap();
    // This session goes on with the new pair; its old refresh token is spent.
    let me = app
        .get("/api/v1/users/me", renewed["access_token"].as_str())
        .await;
    assert_eq!(me.status(), 200);
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": renewed["refresh_token"]}),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    for refresh in [
        account.refresh_token.as_str(),
        second["refresh_token"].as_str().unwrap(),
    ] {
        let response = app
            .post("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
            .await;
        problem(response, 401).await;
    }
    // The other session's access token fails at once here.
    let other = app
        .get("/api/v1/users/me", second["access_token"].as_str())
        .await;
    let body = problem(other, 401).await;
    assert_eq!(body["type"], "https://gridlink.dev/problems/session-ended");
    assert_eq!(app.login("wendy", PASSWORD).await.status(), 401);
    assert_eq!(app.login("wendy", new_password).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_current_password_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let account = app.signup("xena").await;
    let response = app
        .send(
            Method::PUT,
            "/api/v1/users/me/password",
            &account.access_token,
            &json!({"current_password": "not my password", "new_password": "a completely different passphrase"}),
        )
        .await;
    problem(response, 403).await;
    assert_eq!(app.login("xena", PASSWORD).await.status(), 200);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    assert_eq!(refresh.status(), 200);
}

#[tokio::test]
async fn a_weak_new_password_is_400() {
    let app = spawn_app().await;
    let account = app.signup("yuri").await;
    let response = app
        .send(
            Method::PUT,
            "/api/v1/users/me/password",
            &account.access_token,
            &json!({"current_password": PASSWORD, "new_password": "password1"}),
        )
        .await;
    let body = problem(response, 400).await;
    assert_eq!(error_fields(&body), vec!["new_password"]);
}

#[tokio::test]
async fn public_users_are_found_by_username_in_any_case() {
    let app = spawn_app().await;
    let account = app.signup("zoe").await;
    let response = app.get("/api/v1/users/Zoe", None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], account.id.as_str());
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["bio", "created_at", "display_name", "id", "username"]
    );
    problem(app.get("/api/v1/users/nobody", None).await, 404).await;
    problem(app.get("/api/v1/users/%00bad", None).await, 404).await;
}
