//! The client against the real auth service, and against services that fail.

use std::time::{Duration, Instant};

use auth_client::{AuthClient, ClientError, ClientSettings, JwksVerifier};
use gridlink_access_token::{TokenError, VerifyAccessToken};
use gridlink_config::Secret;
use gridlink_db::testing::TestDatabase;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "client-test-token-0123456789abcdef";

struct RunningAuth {
    url: String,
    handle: actix_web::dev::ServerHandle,
    _db: TestDatabase,
}

impl Drop for RunningAuth {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn start_auth() -> RunningAuth {
    let db = TestDatabase::create("authclient", auth::MIGRATIONS).await;
    let mut config = auth::Config::from_env().unwrap();
    config.http.addr = "127.0.0.1:0".parse().unwrap();
    config.http.workers = 1;
    config.database_url = db.url.clone();
    config.signing_key.private_pem = Some(Secret::new(auth::generate_pem().unwrap()));
    config.events = None;
    config.internal_tokens =
        gridlink_service_auth::ServiceTokens::parse(&[format!("grids:{TOKEN}")]).unwrap();
    let app = auth::build(config).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    RunningAuth {
        url,
        handle,
        _db: db,
    }
}

fn client(url: &str) -> AuthClient {
    let mut settings = ClientSettings::local(url);
    settings.service_token = Some(Secret::new(TOKEN));
    AuthClient::new(settings)
}

async fn signup(url: &str, username: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/signup"))
        .json(&json!({"username": username, "email": format!("{username}@example.com"), "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn users_are_fetched_by_username_and_in_batches() {
    let auth = start_auth().await;
    let alice = signup(&auth.url, "alice").await;
    let bob = signup(&auth.url, "bob").await;
    let client = client(&auth.url);

    let found = client.user_by_username("Alice").await.unwrap().unwrap();
    assert_eq!(found.id, alice["user"]["id"].as_str().unwrap());
    assert_eq!(client.user_by_username("nobody").await.unwrap(), None);
    assert_eq!(
        client
            .user_by_username("../../api/v1/users/me")
            .await
            .unwrap(),
        None
    );

    let ids: Vec<String> = [&alice, &bob]
        .iter()
        .map(|u| u["user"]["id"].as_str().unwrap().to_owned())
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
    let auth = start_auth().await;
    let mut settings = ClientSettings::local(&auth.url);
    settings.service_token = Some(Secret::new("wrong-token-0123456789abcdefgh"));
    let error = AuthClient::new(settings)
        .user_by_username("x")
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
    let auth = start_auth().await;
    let carol = signup(&auth.url, "carol").await;
    let verifier = JwksVerifier::new(client(&auth.url), "gridlink-auth", "gridlink");
    let claims = verifier
        .verify(carol["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.sub, carol["user"]["id"].as_str().unwrap());
    assert_eq!(
        verifier.verify("not-a-token").await,
        Err(TokenError::Invalid)
    );
}

#[tokio::test]
async fn cached_keys_keep_working_while_auth_is_down() {
    let auth = start_auth().await;
    let dave = signup(&auth.url, "dave").await;
    let token = dave["access_token"].as_str().unwrap().to_owned();
    let verifier = JwksVerifier::new(client(&auth.url), "gridlink-auth", "gridlink");
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
    let auth = start_auth().await;
    let erin = signup(&auth.url, "erin").await;
    let token = erin["access_token"].as_str().unwrap().to_owned();
    let verifier = JwksVerifier::new(client(&auth.url), "gridlink-auth", "gridlink");
    // Polled once: the JWKS fetch starts, then the check is dropped.
    let abandoned = tokio::time::timeout(Duration::ZERO, verifier.verify(&token)).await;
    assert!(abandoned.is_err(), "the first check waits for the JWKS");
    let claims = verifier.verify(&token).await;
    assert_eq!(
        claims.map(|c| c.sub).ok().as_deref(),
        erin["user"]["id"].as_str()
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
