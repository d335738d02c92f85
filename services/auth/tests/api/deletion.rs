use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, problem, spawn_app};

#[tokio::test]
async fn deleting_the_account_removes_it_at_once_and_writes_the_event() {
    let app = spawn_app().await;
    let account = app.signup("alex").await;
    let response = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 202);

    // Gone: login fails like for an unknown user, the old access token is
    // refused on every auth route, refresh tokens are dead, the profile is 404.
    problem(app.login("alex", PASSWORD).await, 401).await;
    problem(
        app.get("/api/v1/users/me", Some(&account.access_token))
            .await,
        401,
    )
    .await;
    let patch = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"bio": "ghost"}),
        )
        .await;
    problem(patch, 401).await;
    let again = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    problem(again, 401).await;
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": account.refresh_token}),
        )
        .await;
    problem(refresh, 401).await;
    problem(app.get("/api/v1/users/alex", None).await, 404).await;

    // Exactly one user.deleted.v1 event, with the user's public id.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE event_type = 'user.deleted.v1' \
             AND routing_key = 'user.deleted.v1' AND payload->>'user_id' = '{}' \
             AND payload ? 'event_id' AND payload ? 'occurred_at' AND published_at IS NULL",
            account.id
        ))
        .await,
        1
    );
    // And one user.sessions_revoked.v1 without a sid: every session ends.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM outbox WHERE event_type = 'user.sessions_revoked.v1' \
             AND payload->>'user_id' = '{}' AND NOT payload ? 'sid'",
            account.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM outbox WHERE event_type <> 'notification.requested.v1'"
        )
        .await,
        2
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM refresh_tokens").await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM deleted_users WHERE slug = '{}'",
            account.id
        ))
        .await,
        1
    );

    // The username is held back (30 days) so nobody takes over the profile.
    let again = app
        .post(
            "/api/v1/auth/signup",
            &json!({"username": "alex", "email": "new-alex@example.com", "password": PASSWORD}),
        )
        .await;
    problem(again, 409).await;
}

#[tokio::test]
async fn a_wrong_password_deletes_nothing() {
    let app = spawn_app().await;
    let account = app.signup("blake").await;
    let response = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": "wrong password"}),
        )
        .await;
    problem(response, 403).await;
    let missing = app
        .client
        .delete(app.url("/api/v1/users/me"))
        .bearer_auth(&account.access_token)
        .send()
        .await
        .unwrap();
    problem(missing, 400).await;
    assert_eq!(app.login("blake", PASSWORD).await.status(), 200);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM outbox WHERE event_type <> 'notification.requested.v1'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_deletion_that_fails_publishes_nothing() {
    let app = spawn_app().await;
    let account = app.signup("casey").await;
    // Make the deletion fail at commit, after the user row is gone and the
    // outbox row is written: a deferred trigger raises when the transaction ends.
    app.sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$; \
         CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON outbox \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .await;
    let response = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    let body = problem(response, 500).await;
    assert!(
        !body.to_string().contains("refused for the test"),
        "internals stay hidden"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM outbox WHERE event_type <> 'notification.requested.v1'"
        )
        .await,
        0,
        "the event rolled back"
    );
    assert_eq!(
        app.login("casey", PASSWORD).await.status(),
        200,
        "the user is still there"
    );
}

#[tokio::test]
async fn a_failing_outbox_write_keeps_the_account() {
    let app = spawn_app().await;
    let account = app.signup("devon").await;
    app.sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$; \
         CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox \
         FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .await;
    let response = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            &account.access_token,
            &json!({"password": PASSWORD}),
        )
        .await;
    problem(response, 500).await;
    let me: Value = app
        .get("/api/v1/users/me", Some(&account.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["id"],
        account.id.as_str(),
        "no deletion without its event"
    );
}
