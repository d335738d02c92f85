//! The grids service calls one other service: auth, for the keys that check
//! access tokens. While it is down, a token cannot be checked, and that is a
//! 503 with Retry-After, not a 401 that would log the user out.

use gridlink_test_support::problem;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn tokens_that_cannot_be_checked_while_auth_is_down_are_503_not_401() {
    let app = spawn_app_with(|config| {
        config.tokens = auth_client::TokenVerification::Jwks {
            // Nothing answers here.
            auth: gridlink_rest_client::ClientSettings::local("http://127.0.0.1:1"),
            audience: gridlink_access_token::TokenAudience::from_env(),
        };
    })
    .await;
    let alice = app.user("alice").await;
    let response = app
        .get("/api/v1/grids?owner=me", Some(&alice.access_token))
        .await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
    // Anonymous reads need no keys and go on working.
    let anonymous = app
        .get(&format!("/api/v1/grids?owner={}", alice.id), None)
        .await;
    assert_eq!(anonymous.status(), 200);
}
