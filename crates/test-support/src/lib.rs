//! What the services' integration tests share: a service under test on its
//! own database and random ports, users with real signed tokens (no auth
//! service needed), service tokens, problem+json assertions and SQL statement
//! counts read from a service's `/metrics`.

use std::process::Command;
use std::sync::{Arc, Mutex};

use auth_client::TokenVerification;
use child::ChildService;
use gridlink_access_token::{Claims, SigningKeys};
use gridlink_db::testing::TestDatabase;
use gridlink_ids::UserId;
use gridlink_service::{AppHandle, Application, DatabaseSettings, HttpSettings, KitConfig};
use gridlink_service_auth::ServiceTokens;
use serde_json::{Value, json};

mod child;

pub const PASSWORD: &str = "correct horse battery staple";
pub const GATEWAY_TOKEN: &str = "test-gateway-token-0123456789abcdef";
pub const GRIDS_TOKEN: &str = "test-grids-token-0123456789abcdef";
pub const LINKS_TOKEN: &str = "test-links-token-0123456789abcdef";
pub const ANALYTICS_TOKEN: &str = "test-analytics-token-0123456789abcdef";

/// The issuer and audience every test token and verifier agree on (the defaults).
pub const ISSUER: &str = "gridlink-auth";
pub const AUDIENCE: &str = "gridlink";

/// The tokens every test service accepts on its `/internal` routes.
pub fn internal_tokens() -> ServiceTokens {
    ServiceTokens::parse(&[
        format!("gateway:{GATEWAY_TOKEN}"),
        format!("grids:{GRIDS_TOKEN}"),
        format!("links:{LINKS_TOKEN}"),
        format!("analytics:{ANALYTICS_TOKEN}"),
    ])
    .expect("test tokens are well formed")
}

/// A service's settings for a test: random ports, one worker, a small pool
/// on `db`, no broker, the test service tokens.
pub fn kit_config(db: Option<&TestDatabase>) -> KitConfig {
    let any_port = "127.0.0.1:0".parse().expect("a socket address");
    KitConfig {
        http: HttpSettings {
            addr: any_port,
            admin_addr: any_port,
            workers: 1,
        },
        database: db.map(|db| DatabaseSettings {
            url: db.url.clone(),
            pool: gridlink_db::PoolSettings {
                max_size: 4,
                ..gridlink_db::PoolSettings::default()
            },
        }),
        events: None,
        internal_tokens: internal_tokens(),
    }
}

/// Signs access tokens as the auth service would, so a service's tests can
/// check tokens without running auth.
#[derive(Clone)]
pub struct TestTokens(Arc<SigningKeys>);

impl Default for TestTokens {
    fn default() -> Self {
        Self::new()
    }
}

impl TestTokens {
    pub fn new() -> Self {
        Self(Arc::new(
            SigningKeys::generate(Some("test-key".into())).expect("a test key"),
        ))
    }

    /// A fresh access token for `user`, valid for 15 minutes.
    pub fn mint(&self, user: &UserId) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs() as i64;
        self.sign(Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user.clone(),
            sid: gridlink_ids::SessionId::generate(),
            exp: now + 900,
            iat: now,
            jti: uuid_like(),
        })
    }

    pub fn sign(&self, claims: Claims) -> String {
        self.0.sign(&claims).expect("test tokens sign")
    }

    /// What a service under test checks tokens with.
    pub fn verification(&self) -> TokenVerification {
        TokenVerification::Fixed(Arc::new(self.0.verifier(ISSUER, AUDIENCE)))
    }

    /// A user with a valid token (no account anywhere: services trust the token).
    pub fn user(&self, username: &str) -> User {
        let id = UserId::generate();
        User {
            access_token: self.mint(&id),
            id: id.into_string(),
            username: username.to_owned(),
        }
    }
}

fn uuid_like() -> String {
    UserId::generate().into_string()
}

/// A service under test, stopped when dropped: served from this process, or
/// a service binary in a child process that a test may kill and start again.
pub struct Running {
    pub url: String,
    /// The admin listener (`/metrics`).
    pub admin_url: String,
    pub db: Option<TestDatabase>,
    server: Server,
}

enum Server {
    InProcess(AppHandle),
    Child(Box<Mutex<ChildService>>),
}

impl Running {
    /// Runs `app` on this runtime.
    pub fn serve(app: Application, db: Option<TestDatabase>) -> Self {
        let running = Self {
            url: format!("http://127.0.0.1:{}", app.port()),
            admin_url: format!("http://127.0.0.1:{}", app.admin_port()),
            db,
            server: Server::InProcess(app.handle()),
        };
        tokio::spawn(app.run_until_stopped());
        running
    }

    /// Starts `command`, a service binary configured to listen on `port`
    /// and `admin_port`.
    pub fn child(port: u16, admin_port: u16, command: Command, db: Option<TestDatabase>) -> Self {
        Self {
            url: format!("http://127.0.0.1:{port}"),
            admin_url: format!("http://127.0.0.1:{admin_port}"),
            db,
            server: Server::Child(Box::new(Mutex::new(ChildService::spawn(command)))),
        }
    }

    /// SIGKILLs the child process: no shutdown, no goodbye to the broker.
    pub fn kill(&self) {
        self.process().kill();
    }

    /// Starts the child process again, with the same command.
    pub fn restart(&self) {
        let mut child = self.process();
        child.kill();
        child.start();
    }

    fn process(&self) -> std::sync::MutexGuard<'_, ChildService> {
        match &self.server {
            Server::Child(child) => child.lock().unwrap_or_else(|e| e.into_inner()),
            Server::InProcess(_) => panic!("only a service in a child process can be killed"),
        }
    }

    pub fn stop(&self) {
        match &self.server {
            Server::InProcess(handle) => drop(handle.stop(false)),
            Server::Child(_) => self.process().kill(),
        }
    }

    /// The sum of the samples on this service's `/metrics` whose line `matches`.
    pub async fn metric_sum(
        &self,
        client: &reqwest::Client,
        matches: impl Fn(&str) -> bool,
    ) -> u64 {
        metric_sum(client, &self.admin_url, matches).await
    }

    /// SQL statements the service has run so far (its `db_statements_total`).
    pub async fn statements(&self, client: &reqwest::Client) -> u64 {
        self.metric_sum(client, |line| line.starts_with("db_statements_total"))
            .await
    }

    /// HTTP requests it answered, other than probes.
    pub async fn requests_served(&self, client: &reqwest::Client) -> u64 {
        self.metric_sum(client, |l| {
            l.starts_with("http_requests_total")
                && !l.contains("route=\"/readyz\"")
                && !l.contains("route=\"/healthz\"")
        })
        .await
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A user with a live session.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub access_token: String,
}

/// Signs `username` up with a real auth service at `auth_url`.
pub async fn signup(client: &reqwest::Client, auth_url: &str, username: &str) -> User {
    let response = client
        .post(format!("{auth_url}/api/v1/auth/signup"))
        .json(&json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "signup of {username}");
    let body: Value = response.json().await.unwrap();
    User {
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        username: username.to_owned(),
        access_token: body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    let url = response.url().clone();
    assert_eq!(response.status(), status, "status of {url}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are problem+json ({url})"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
        "a problem has a type, a title and a detail: {body}"
    );
    body
}

/// The fields named in a 400's `errors`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The sum of the samples on the `/metrics` at `admin_url` whose line `matches`.
pub async fn metric_sum(
    client: &reqwest::Client,
    admin_url: &str,
    matches: impl Fn(&str) -> bool,
) -> u64 {
    let text = client
        .get(format!("{admin_url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && matches(line))
        .filter_map(|line| line.split_whitespace().last()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Runs `request` and returns how many SQL statements `service` ran for it.
pub async fn statements_for<F, Fut>(client: &reqwest::Client, service: &Running, request: F) -> u64
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let before = service.statements(client).await;
    let response = request().await;
    assert!(
        response.status().is_success(),
        "the counted request failed: {}",
        response.status()
    );
    service.statements(client).await - before
}

/// Direct SQL on a service's test database, for what the API cannot show.
pub mod sql {
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use gridlink_config::Secret;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[derive(diesel::QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }

    /// The `n` column of a `SELECT count(*) AS n ...`.
    pub async fn count(url: &Secret, query: &str) -> i64 {
        let mut conn = gridlink_db::connect(url).await.unwrap();
        diesel::sql_query(query)
            .get_result::<Count>(&mut conn)
            .await
            .unwrap()
            .n
    }

    /// Runs statements (several allowed), for set-up.
    pub async fn execute(url: &Secret, statements: &str) {
        let mut conn = gridlink_db::connect(url).await.unwrap();
        conn.batch_execute(statements).await.unwrap();
    }

    /// The plan of an `EXPLAIN ...` statement, one line per element.
    pub async fn explain(url: &Secret, query: &str) -> Vec<String> {
        let mut conn = gridlink_db::connect(url).await.unwrap();
        diesel::sql_query(query)
            .load::<PlanLine>(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
    }
}

/// Asserts that a service's OpenAPI document committed in proto-docs/ (named
/// after the service's directory, `services/<name>`) is `generated` from its
/// handlers; with `UPDATE_OPENAPI` set it writes it first (`make openapi`).
pub fn assert_proto_docs(manifest_dir: &str, generated: &utoipa::openapi::OpenApi) {
    let service_dir = std::path::Path::new(manifest_dir);
    let name = service_dir
        .file_name()
        .expect("a service directory has a name")
        .to_string_lossy();
    let path = service_dir.join(format!("../../proto-docs/{name}.openapi.json"));
    let generated = generated
        .to_pretty_json()
        .expect("an OpenAPI document serialises")
        + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("proto-docs/ is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "proto-docs/{name}.openapi.json is stale: run `make openapi` and commit the result"
    );
}
