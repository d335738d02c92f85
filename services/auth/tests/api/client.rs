//! auth-client against the real auth service, and against services that fail.

use std::time::{Duration, Instant};

use auth_client::{AuthClient, ClientError, ClientSettings, JwksVerifier};
use gridlink_access_token::{TokenError, VerifyAccessToken};
use gridlink_config::Secret;
use gridlink_ids::{UserId, Username};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{INTERNAL_TOKEN, spawn_app};

fn client(url: &str) -> AuthClient {
    let mut settings = ClientSettings::local(url);
    settings.service_token = Some(Secret::new(INTERNAL_TOKEN));
    AuthClient::new(settings)
}

fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

#[tokio::test]
async fn users_are_fetched_by_username_and_in_batches() {
    let auth = spawn_app().await;
    let alice = auth.signup("alice").await;
    let bob = auth.signup("bob").await;
    let client = client(&auth.address);

    let found = client
        .user_by_username(&username("Alice"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_str(), alice.id);
    assert_eq!(
        client.user_by_username(&username("nobody")).await.unwrap(),
        None
    );
    // A path cannot be smuggled in: it is not a username at all.
    assert!(Username::parse("../../api/v1/users/me").is_err());

    let ids: Vec<UserId> = [&alice, &bob]
        .iter()
        .map(|u| UserId::parse(&u.id).unwrap())
        .collect();
    let mut users = client.users_by_ids(&ids).await.unwrap();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
}

#[tokio::test]
async fn a_wrong_service_token_is_a_typed_401() {
    let auth = spawn_app().await;
    let mut settings = ClientSettings::local(&auth.address);
    settings.service_token = Some(Secret::new("wrong-token-0123456789abcdefgh"));
    let error = AuthClient::new(settings)
        .user_by_username(&username("xyz"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::Status {
                service: "auth",
                status: 401,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_jwks_verifier_checks_real_tokens_and_refuses_others() {
    let auth = spawn_app().await;
    let carol = auth.signup("carol").await;
    let verifier = JwksVerifier::new(client(&auth.address), "gridlink-auth", "gridlink");
    let claims = verifier.verify(&carol.access_token).await.unwrap();
    assert_eq!(claims.sub.as_str(), carol.id);
    assert_eq!(
        verifier.verify("not-a-token").await,
        Err(TokenError::Invalid)
    );
}

#[tokio::test]
async fn cached_keys_keep_working_while_auth_is_down() {
    let auth = spawn_app().await;
    let token = auth.signup("dave").await.access_token;
    let verifier = JwksVerifier::new(client(&auth.address), "gridlink-auth", "gridlink");
    verifier.verify(&token).await.unwrap();
    drop(auth);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        verifier.verify(&token).await.is_ok(),
        "stale keys are served while auth is away"
    );
}

/// actix drops a request's extractors when one of them fails, so the first
/// token check can be abandoned mid-fetch (a malformed body beat it). That must
/// not leave the cache empty with refetches throttled: the next request with
/// the same token has to pass.
#[tokio::test]
async fn an_abandoned_first_check_does_not_lock_out_good_tokens() {
    let auth = spawn_app().await;
    let erin = auth.signup("erin").await;
    let token = erin.access_token.clone();
    let verifier = JwksVerifier::new(client(&auth.address), "gridlink-auth", "gridlink");
    // Polled once: the JWKS fetch starts, then the check is dropped.
    let abandoned = tokio::time::timeout(Duration::ZERO, verifier.verify(&token)).await;
    assert!(abandoned.is_err(), "the first check waits for the JWKS");
    let claims = verifier.verify(&token).await;
    assert_eq!(
        claims.map(|c| c.sub.into_string()).ok().as_deref(),
        Some(erin.id.as_str())
    );
}

/// A token whose key cannot be fetched because auth is down is not a
/// forgery: the verifier says the keys are unavailable (the caller's 503).
#[tokio::test]
async fn a_token_checked_while_auth_is_down_is_keys_unavailable_not_invalid() {
    let auth = spawn_app().await;
    let token = auth.signup("fay").await.access_token;
    let address = auth.address.clone();
    drop(auth);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let verifier = JwksVerifier::new(client(&address), "gridlink-auth", "gridlink");
    assert!(
        matches!(
            verifier.verify(&token).await,
            Err(TokenError::KeysUnavailable(_))
        ),
        "no keys were ever fetched"
    );
}

/// A server that accepts connections and answers each with `response`, or
/// never answers when `response` is `None`.
async fn fake_server(response: Option<String>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                match response {
                    Some(ref r) => {
                        let _ = socket.write_all(r.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    url
}

fn http_response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_refused_connection_is_unreachable() {
    let error = client("http://127.0.0.1:1").jwks().await.unwrap_err();
    assert!(
        matches!(error, ClientError::Unreachable { service: "auth" }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_frozen_service_times_out_within_the_budget() {
    let url = fake_server(None).await;
    let mut settings = ClientSettings::local(&url);
    settings.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = AuthClient::new(settings).jwks().await.unwrap_err();
    assert!(matches!(error, ClientError::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "timeouts are not retried forever"
    );
}

#[tokio::test]
async fn a_server_error_is_a_typed_status_with_its_detail() {
    let url = fake_server(Some(http_response(
        "500 Internal Server Error",
        "application/problem+json",
        r#"{"status":500,"detail":"database melted"}"#,
    )))
    .await;
    let error = client(&url).jwks().await.unwrap_err();
    match error {
        ClientError::Status {
            status: 500,
            detail,
            ..
        } => assert_eq!(detail.as_deref(), Some("database melted")),
        other => panic!("expected a 500, got {other:?}"),
    }
}

#[tokio::test]
async fn garbage_from_the_service_is_a_decode_error() {
    let url = fake_server(Some(http_response("200 OK", "application/json", "hello"))).await;
    let error = client(&url).jwks().await.unwrap_err();
    assert!(matches!(error, ClientError::Decode { .. }), "{error:?}");
}
