use serde_json::{Value, json};

use crate::helpers::{PASSWORD, error_fields, problem, spawn_app, spawn_app_with};

fn signup_body(username: &str, email: &str, password: &str) -> Value {
    json!({"username": username, "email": email, "password": password})
}

#[tokio::test]
async fn signup_returns_201_with_the_user_and_a_token_pair() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/auth/signup",
            &json!({"username": "Alice_1", "email": "Alice@Example.com", "password": PASSWORD, "display_name": "Alice"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let id = body["user"]["id"].as_str().unwrap();
    assert!(gridlink_ids::UserId::parse(id).is_ok(), "{id}");
    assert_eq!(
        body["user"]["username"], "alice_1",
        "usernames are stored lowercase"
    );
    assert_eq!(body["user"]["email"], "Alice@Example.com");
    assert_eq!(body["user"]["display_name"], "Alice");
    assert_eq!(body["user"]["bio"], "");
    assert!(
        body["user"]["created_at"].as_str().unwrap().ends_with('Z')
            || body["user"]["created_at"]
                .as_str()
                .unwrap()
                .contains("+00:00")
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    assert!(body["user"].get("password_hash").is_none());

    let me = app
        .get("/api/v1/users/me", body["access_token"].as_str())
        .await;
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn the_display_name_defaults_to_the_username() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/auth/signup",
            &signup_body("bob", "bob@example.com", PASSWORD),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["display_name"], "bob");
}

#[tokio::test]
async fn passwords_are_stored_only_as_argon2id_hashes() {
    let app = spawn_app().await;
    app.signup("carol").await;
    let plain = app
        .count(&format!(
            "SELECT count(*) AS n FROM users WHERE password_hash LIKE '%{PASSWORD}%'"
        ))
        .await;
    let argon = app
        .count("SELECT count(*) AS n FROM users WHERE password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'")
        .await;
    assert_eq!((plain, argon), (0, 1));
}

#[tokio::test]
async fn invalid_usernames_are_400_naming_the_field() {
    let app = spawn_app().await;
    for bad in ["ab", &"a".repeat(31), "with space", "dash-ed", "émile", ""] {
        let response = app
            .post(
                "/api/v1/auth/signup",
                &signup_body(bad, "x@example.com", PASSWORD),
            )
            .await;
        let body = problem(response, 400).await;
        assert_eq!(error_fields(&body), vec!["username"], "username {bad:?}");
    }
}

#[tokio::test]
async fn invalid_emails_are_400_naming_the_field() {
    let app = spawn_app().await;
    for bad in [
        "",
        "plain",
        "a@b",
        "@example.com",
        "a@@example.com",
        "a b@example.com",
        &format!("{}@example.com", "a".repeat(250)),
    ] {
        let response = app
            .post(
                "/api/v1/auth/signup",
                &signup_body("valid_name", bad, PASSWORD),
            )
            .await;
        let body = problem(response, 400).await;
        assert_eq!(error_fields(&body), vec!["email"], "email {bad:?}");
    }
}

#[tokio::test]
async fn short_long_and_common_passwords_are_refused() {
    let app = spawn_app().await;
    let too_long = "Zq8#mP2$vL9!".repeat(11); // 132 characters
    for bad in [
        "short",
        "1234567",
        &too_long,
        "password123",
        "qwertyuiop",
        "valid_name123",
    ] {
        let response = app
            .post(
                "/api/v1/auth/signup",
                &signup_body("valid_name", "v@example.com", bad),
            )
            .await;
        let body = problem(response, 400).await;
        assert_eq!(error_fields(&body), vec!["password"], "password {bad:?}");
    }
    // 128 characters exactly is fine, and nothing is truncated: a login with a
    // 127-character prefix of it fails.
    let long = "Zq8#mP2$vL9!".repeat(11)[..128].to_owned();
    let response = app
        .post(
            "/api/v1/auth/signup",
            &signup_body("long_pw", "l@example.com", &long),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.login("long_pw", &long).await.status(), 200);
    assert_eq!(app.login("long_pw", &long[..127]).await.status(), 401);
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = spawn_app().await;
    let response = app
        .post("/api/v1/auth/signup", &signup_body("x", "nope", "short"))
        .await;
    let body = problem(response, 400).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, vec!["email", "password", "username"]);
}

#[tokio::test]
async fn wrong_json_types_missing_and_unknown_fields_are_400() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": 42, "email": "a@example.com", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "abc", "email": ["a@example.com"], "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": null}),
            "password",
        ),
        (
            json!({"username": "abc", "email": "a@example.com"}),
            "password",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "is_admin": true}),
            "is_admin",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/api/v1/auth/signup", &body).await;
        let problem_body = problem(response, 400).await;
        assert_eq!(error_fields(&problem_body), vec![field], "{body}");
    }
    let array = app.post("/api/v1/auth/signup", &json!([1, 2])).await;
    problem(array, 400).await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM users").await,
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body(r#"{"username": "abc", "#)
        .send()
        .await
        .unwrap();
    let body = problem(response, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("malformed JSON"));
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let big = json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "display_name": "x".repeat(70 * 1024)});
    let response = app.post("/api/v1/auth/signup", &big).await;
    problem(response, 413).await;
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413_too() {
    let app = spawn_app().await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..100).map(|_| Ok(vec![b' '; 1024])).collect();
    let response = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    problem(response, 413).await;
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "text/plain")
        .body(signup_body("abc", "a@example.com", PASSWORD).to_string())
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
    let form = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=abc")
        .send()
        .await
        .unwrap();
    problem(form, 415).await;
}

#[tokio::test]
async fn a_taken_username_in_another_case_is_409() {
    let app = spawn_app().await;
    app.signup("dana").await;
    let response = app
        .post(
            "/api/v1/auth/signup",
            &signup_body("DANA", "other@example.com", PASSWORD),
        )
        .await;
    let body = problem(response, 409).await;
    assert_eq!(error_fields(&body), vec!["username"]);
}

#[tokio::test]
async fn a_taken_email_in_another_case_is_409() {
    let app = spawn_app().await;
    app.signup("erin").await;
    let response = app
        .post(
            "/api/v1/auth/signup",
            &signup_body("erin2", "ERIN@example.COM", PASSWORD),
        )
        .await;
    let body = problem(response, 409).await;
    assert_eq!(error_fields(&body), vec!["email"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 1);
}

#[tokio::test]
async fn a_client_probing_for_taken_addresses_is_throttled_and_real_signups_are_not() {
    let app = spawn_app_with(|config| config.throttle.max_signup_conflicts_per_client = 3).await;
    app.signup("owner").await;
    // New accounts spend nothing: many people sign up from one office.
    for k in 0..5 {
        app.signup(&format!("colleague{k}")).await;
    }
    let probe = |k: usize| signup_body(&format!("probe{k}"), "owner@example.com", PASSWORD);
    for k in 0..3 {
        problem(app.post("/api/v1/auth/signup", &probe(k)).await, 409).await;
    }
    let refused = app.post("/api/v1/auth/signup", &probe(3)).await;
    assert!(refused.headers().contains_key("retry-after"));
    let body = problem(refused, 429).await;
    assert!(
        body["type"].as_str().unwrap().ends_with("/rate-limited"),
        "{body}"
    );
    // Refused before anything is checked: a free address is refused too,
    // so the answer says nothing.
    let free = app
        .post(
            "/api/v1/auth/signup",
            &signup_body("late", "late@example.com", PASSWORD),
        )
        .await;
    problem(free, 429).await;
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 6);
}

#[tokio::test]
async fn a_deleted_accounts_username_and_email_are_held_back_then_forgotten() {
    let app = spawn_app().await;
    let account = app.signup("yara").await;
    let deleted = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(deleted.status(), 202);
    let again = |username: &str, email: &str| {
        let body = json!({"username": username, "email": email, "password": PASSWORD});
        let app = &app;
        async move { app.post("/api/v1/auth/signup", &body).await }
    };
    let body = problem(again("YARA", "new@example.com").await, 409).await;
    assert_eq!(error_fields(&body), ["username"]);
    let body = problem(again("someone_else", "Yara@Example.com").await, 409).await;
    assert_eq!(error_fields(&body), ["email"]);
    // Only keyed hashes are kept, for 30 days.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM retired_identities")
            .await,
        2
    );
    let days = app
        .count(
            "SELECT round(extract(epoch FROM min(retired_until) - now()) / 86400)::bigint AS n \
             FROM retired_identities",
        )
        .await;
    assert_eq!(days, 30);
    let plain = app
        .count(
            "SELECT count(*) AS n FROM retired_identities \
             WHERE position('yara' in encode(digest, 'escape')) > 0",
        )
        .await;
    assert_eq!(plain, 0, "no name is stored in the clear");
    // When the hold ends the name is free again, and the hashes are gone.
    app.sql("UPDATE retired_identities SET retired_until = now() - interval '1 second'")
        .await;
    assert_eq!(again("yara", "yara@example.com").await.status(), 201);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM retired_identities")
            .await,
        0
    );
}
