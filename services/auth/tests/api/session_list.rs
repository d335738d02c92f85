//! The sessions API, the sessions' lifetime and cap, and what verifiers are
//! told about sessions that end.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{INTERNAL_TOKEN, PASSWORD, TestApp, problem, spawn_app, spawn_app_with};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

async fn login_with_agent(app: &TestApp, login: &str, agent: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({"login": login, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/v1/auth/sessions", Some(token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.post("/api/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

async fn revoked_list(app: &TestApp) -> Vec<Value> {
    let response = app
        .get("/internal/v1/sessions/revoked", Some(INTERNAL_TOKEN))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sessions_are_listed_newest_first_with_the_current_one_marked() {
    let app = spawn_app().await;
    app.signup("pia").await;
    let laptop = login_with_agent(&app, "pia", FIREFOX).await;
    let phone = login_with_agent(&app, "pia", SAFARI).await;
    let listed = sessions(&app, phone["access_token"].as_str().unwrap()).await;
    assert_eq!(listed.len(), 3, "signup, laptop, phone: {listed:?}");
    assert_eq!(listed[0]["client"], "Safari on iOS");
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["client"], "Firefox on Linux");
    assert_eq!(listed[1]["current"], false);
    for session in &listed {
        assert!(session["id"].as_str().unwrap().starts_with("se_"));
        for field in ["created_at", "last_used_at", "expires_at"] {
            assert!(session[field].is_string(), "{field}: {session}");
        }
    }
    // The laptop sees the same sessions, with itself as the current one.
    let from_laptop = sessions(&app, laptop["access_token"].as_str().unwrap()).await;
    assert_eq!(from_laptop[1]["current"], true);
    assert_eq!(from_laptop[1]["id"], listed[1]["id"]);
}

#[tokio::test]
async fn ending_a_session_ends_its_refresh_token_and_its_access_tokens() {
    let app = spawn_app().await;
    app.signup("quin").await;
    let laptop = login_with_agent(&app, "quin", FIREFOX).await;
    let phone = login_with_agent(&app, "quin", SAFARI).await;
    let phone_token = phone["access_token"].as_str().unwrap();
    let laptop_id = sessions(&app, phone_token).await[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/auth/sessions/{laptop_id}");
    let ended = app
        .send(Method::DELETE, &path, phone_token, &json!({}))
        .await;
    assert_eq!(ended.status(), 204);
    problem(refresh(&app, &laptop["refresh_token"]).await, 401).await;
    let body = problem(
        app.get("/api/v1/users/me", laptop["access_token"].as_str())
            .await,
        401,
    )
    .await;
    assert_eq!(body["type"], "https://gridlink.dev/problems/session-ended");
    assert_eq!(
        app.get("/api/v1/users/me", Some(phone_token))
            .await
            .status(),
        200
    );
    // Ended, unknown, malformed and someone else's sessions are all 404.
    let other = app.signup("rosa").await;
    let rosas = sessions(&app, &other.access_token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [
        laptop_id.as_str(),
        "se_00000000000000000000000000000000",
        "nope",
        &rosas,
    ] {
        let path = format!("/api/v1/auth/sessions/{id}");
        problem(
            app.send(Method::DELETE, &path, phone_token, &json!({}))
                .await,
            404,
        )
        .await;
    }
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other.access_token))
            .await
            .status(),
        200,
        "rosa's session was not touched"
    );
    // Verifiers are told: an event in the outbox, and the internal list.
    let events = app
        .count("SELECT count(*) AS n FROM outbox WHERE event_type = 'user.sessions_revoked.v1'")
        .await;
    assert_eq!(events, 1);
    let revoked = revoked_list(&app).await;
    assert!(
        revoked.iter().any(|r| r["sid"] == laptop_id.as_str()),
        "{revoked:?}"
    );
}

#[tokio::test]
async fn ending_the_other_sessions_keeps_this_one_unless_asked() {
    let app = spawn_app().await;
    let first = app.signup("sami").await;
    let second = login_with_agent(&app, "sami", FIREFOX).await;
    let third = login_with_agent(&app, "sami", SAFARI).await;
    let token = third["access_token"].as_str().unwrap();
    let ended = app
        .send(Method::DELETE, "/api/v1/auth/sessions", token, &json!({}))
        .await;
    assert_eq!(ended.status(), 204);
    assert_eq!(sessions(&app, token).await.len(), 1);
    problem(refresh(&app, &json!(first.refresh_token)).await, 401).await;
    problem(refresh(&app, &second["refresh_token"]).await, 401).await;
    problem(
        app.get("/api/v1/users/me", second["access_token"].as_str())
            .await,
        401,
    )
    .await;
    let all = app
        .send(
            Method::DELETE,
            "/api/v1/auth/sessions?include_current=true",
            token,
            &json!({}),
        )
        .await;
    assert_eq!(all.status(), 204);
    problem(app.get("/api/v1/users/me", Some(token)).await, 401).await;
    problem(refresh(&app, &third["refresh_token"]).await, 401).await;
}

#[tokio::test]
async fn a_user_has_at_most_the_configured_live_sessions_and_the_oldest_goes() {
    let app = spawn_app_with(|c| c.tokens.max_sessions = 3).await;
    let first = app.signup("tova").await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(login_with_agent(&app, "tova", FIREFOX).await);
    }
    let token = logins[2]["access_token"].as_str().unwrap();
    assert_eq!(sessions(&app, token).await.len(), 3);
    problem(refresh(&app, &json!(first.refresh_token)).await, 401).await;
    problem(
        app.get("/api/v1/users/me", Some(&first.access_token)).await,
        401,
    )
    .await;
    assert_eq!(
        refresh(&app, &logins[0]["refresh_token"]).await.status(),
        200
    );
}

#[tokio::test]
async fn refreshing_never_extends_a_session_past_its_absolute_end() {
    let app = spawn_app().await;
    let account = app.signup("uma").await;
    let renewed: Value = refresh(&app, &json!(account.refresh_token))
        .await
        .json()
        .await
        .unwrap();
    let past_the_end = app
        .count(
            "SELECT count(*) AS n FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id \
             WHERE r.expires_at > s.expires_at",
        )
        .await;
    assert_eq!(past_the_end, 0);
    let lifetime_days = app
        .count(
            "SELECT round(extract(epoch FROM max(expires_at - created_at)) / 86400)::bigint AS n \
             FROM sessions",
        )
        .await;
    assert_eq!(lifetime_days, 90, "the default absolute lifetime");
    // Past its end, the session's refresh token is refused.
    app.sql("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .await;
    problem(refresh(&app, &renewed["refresh_token"]).await, 401).await;
}

#[tokio::test]
async fn logout_and_deletion_are_announced_to_every_verifier() {
    let app = spawn_app().await;
    let account = app.signup("vera").await;
    let session = sessions(&app, &account.access_token).await[0]["id"].clone();
    let logout = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert!(revoked_list(&app).await.iter().any(|r| r["sid"] == session));
    let body = problem(
        app.get("/api/v1/users/me", Some(&account.access_token))
            .await,
        401,
    )
    .await;
    assert_eq!(body["type"], "https://gridlink.dev/problems/session-ended");

    let other = app.signup("walt").await;
    let deleted = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &other.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(deleted.status(), 202);
    let revoked = revoked_list(&app).await;
    let gone = revoked
        .iter()
        .find(|r| r["user_id"] == other.id.as_str())
        .expect("the deleted account is listed");
    assert!(gone.get("sid").is_none(), "every session: {gone}");
    let kinds = app
        .count(
            "SELECT count(*) AS n FROM outbox WHERE event_type = 'user.sessions_revoked.v1' \
             AND payload->>'user_id' = (SELECT payload->>'user_id' FROM outbox \
             WHERE event_type = 'user.deleted.v1')",
        )
        .await;
    assert_eq!(kinds, 1, "deletion announces the end of every session");
    // The list is for services only.
    problem(app.get("/internal/v1/sessions/revoked", None).await, 401).await;
}
