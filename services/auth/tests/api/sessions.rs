use serde_json::{Value, json};

use crate::helpers::{PASSWORD, problem, spawn_app};

#[tokio::test]
async fn login_works_with_the_username_or_the_email_in_any_case() {
    let app = spawn_app().await;
    let account = app.signup("frank").await;
    for login in ["frank", "FRANK", "frank@example.com", "Frank@Example.COM"] {
        let response = app.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "login as {login}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        let me: Value = app
            .get("/api/v1/users/me", body["access_token"].as_str())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["id"], account.id.as_str());
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_401() {
    let app = spawn_app().await;
    app.signup("grace").await;
    let wrong = app.login("grace", "not the right password").await;
    let unknown = app.login("nobody_here", "not the right password").await;
    let wrong_headers = wrong.headers().clone();
    let (wrong, unknown) = (problem(wrong, 401).await, problem(unknown, 401).await);
    assert_eq!(
        wrong, unknown,
        "the body must not reveal whether the account exists"
    );
    assert_eq!(wrong_headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn logins_that_cannot_be_an_account_are_the_same_401() {
    let app = spawn_app().await;
    for login in ["nul\u{0}byte", "", &"a".repeat(300)] {
        problem(app.login(login, "whatever password").await, 401).await;
    }
}

#[tokio::test]
async fn an_unknown_user_costs_as_much_time_as_a_wrong_password() {
    let app = spawn_app().await;
    app.signup("heidi").await;
    // Warm up, then compare medians of a few attempts each.
    app.login("heidi", "wrong password one").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        let started = std::time::Instant::now();
        app.login("heidi", &format!("wrong password {i}")).await;
        known.push(started.elapsed());
        let started = std::time::Instant::now();
        app.login(&format!("ghost_{i}"), "wrong password").await;
        unknown.push(started.elapsed());
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2].as_secs_f64(), unknown[2].as_secs_f64());
    // Both run one argon2id verification; without it the unknown case would be
    // an order of magnitude faster.
    assert!(
        u > k * 0.5,
        "unknown user answered in {u:.4}s vs {k:.4}s for a wrong password"
    );
}

#[tokio::test]
async fn a_refresh_token_rotates_and_the_old_one_is_refused() {
    let app = spawn_app().await;
    let account = app.signup("ivan").await;
    let first = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_ne!(first["refresh_token"], account.refresh_token.as_str());
    assert_eq!(
        app.get("/api/v1/users/me", first["access_token"].as_str())
            .await
            .status(),
        200
    );
    let second = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(second.status(), 200);
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let account = app.signup("judy").await;
    let rotated: Value = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await
        .json()
        .await
        .unwrap();
    // An attacker replays the stolen original...
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    problem(replay, 401).await;
    // ...and the legitimate holder's newer token is dead too.
    let legit = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    problem(legit, 401).await;
    // Other sessions of the same user are untouched.
    let other: Value = app.login("judy", PASSWORD).await.json().await.unwrap();
    let other_refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_eq!(other_refresh.status(), 200);
}

#[tokio::test]
async fn unknown_and_garbage_refresh_tokens_are_401() {
    let app = spawn_app().await;
    for token in ["", "nope", &"x".repeat(300)] {
        let response = app
            .post("/api/v1/auth/refresh", &json!({"refresh_token": token}))
            .await;
        problem(response, 401).await;
    }
}

#[tokio::test]
async fn refresh_tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let account = app.signup("ken").await;
    let n = app
        .count(&format!(
            "SELECT count(*) AS n FROM refresh_tokens WHERE encode(token_hash, 'escape') LIKE '%{}%'",
            account.refresh_token
        ))
        .await;
    assert_eq!(n, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM refresh_tokens WHERE length(token_hash) = 32")
            .await,
        1
    );
}

#[tokio::test]
async fn an_expired_refresh_token_is_401() {
    let app = spawn_app().await;
    let account = app.signup("lena").await;
    app.sql("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        .await;
    let response = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    problem(response, 401).await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let account = app.signup("mallory").await;
    let response = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    problem(refresh, 401).await;
    // Logging out twice, or with an unknown token, is harmless.
    let again = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn the_jwks_publishes_the_public_signing_key() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/auth/jwks.json", None).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let jwks: jsonwebtoken::jwk::JwkSet = response.json().await.unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].common.key_id.as_deref(), Some("test-key"));

    // A token the service issued verifies with the published key alone.
    let account = app.signup("nina").await;
    let verifier = gridlink_access_token::KeySetVerifier::new(&jwks, "gridlink-auth", "gridlink");
    let claims = verifier.verify(&account.access_token).unwrap();
    assert_eq!(claims.sub.as_str(), account.id);
    assert!(claims.exp - claims.iat <= 900);
    assert!(!claims.jti.is_empty());
    let header = jsonwebtoken::decode_header(&account.access_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
}
