//! What the services' integration tests share: a real auth service on its own
//! database, signed-up users with real tokens, service tokens, problem+json
//! assertions and SQL statement counts read from a service's `/metrics`.

use std::process::Command;
use std::sync::Mutex;

use actix_web::dev::ServerHandle;
use child::ChildService;
use gridlink_config::Secret;
use gridlink_db::testing::TestDatabase;
use gridlink_service_auth::ServiceTokens;
use serde_json::{Value, json};

mod child;

pub const PASSWORD: &str = "correct horse battery staple";
pub const GATEWAY_TOKEN: &str = "test-gateway-token-0123456789abcdef";
pub const GRIDS_TOKEN: &str = "test-grids-token-0123456789abcdef";
pub const LINKS_TOKEN: &str = "test-links-token-0123456789abcdef";

/// The tokens every test service accepts on its `/internal` routes.
pub fn internal_tokens() -> ServiceTokens {
    ServiceTokens::parse(&[
        format!("gateway:{GATEWAY_TOKEN}"),
        format!("grids:{GRIDS_TOKEN}"),
        format!("links:{LINKS_TOKEN}"),
    ])
    .expect("test tokens are well formed")
}

/// A service under test, stopped when dropped: served from this process, or
/// a service binary in a child process that a test may kill and start again.
pub struct Running {
    pub url: String,
    pub db: Option<TestDatabase>,
    server: Server,
}

enum Server {
    InProcess(ServerHandle),
    Child(Box<Mutex<ChildService>>),
}

impl Running {
    pub fn new(port: u16, handle: ServerHandle, db: Option<TestDatabase>) -> Self {
        Self {
            url: format!("http://127.0.0.1:{port}"),
            db,
            server: Server::InProcess(handle),
        }
    }

    /// Starts `command`, a service binary configured to listen on `port`.
    pub fn child(port: u16, command: Command, db: Option<TestDatabase>) -> Self {
        Self {
            url: format!("http://127.0.0.1:{port}"),
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
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A real auth service on a fresh database.
pub async fn spawn_auth() -> Running {
    let db = TestDatabase::create("auth", auth::MIGRATIONS).await;
    let mut config = auth::Config::from_env().expect("default auth configuration");
    config.http.addr = "127.0.0.1:0".parse().unwrap();
    config.http.workers = 1;
    config.pool.max_size = 4;
    config.database_url = db.url.clone();
    config.signing_key.private_pem = Some(Secret::new(auth::generate_pem().unwrap()));
    config.signing_key.key_id = Some("test-key".into());
    config.events = None;
    config.internal_tokens = internal_tokens();
    let app = auth::build(config).await.expect("auth starts");
    let running = Running::new(app.port(), app.handle(), Some(db));
    tokio::spawn(app.run_until_stopped());
    running
}

/// A user with a live session.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub access_token: String,
}

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

/// The sum of the samples on a service's `/metrics` whose line `matches`.
pub async fn metric_sum(
    client: &reqwest::Client,
    service_url: &str,
    matches: impl Fn(&str) -> bool,
) -> u64 {
    let text = client
        .get(format!("{service_url}/metrics"))
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

/// SQL statements the service has run so far (its `db_statements_total`).
pub async fn statements(client: &reqwest::Client, service_url: &str) -> u64 {
    metric_sum(client, service_url, |line| {
        line.starts_with("db_statements_total")
    })
    .await
}

/// Runs `request` and returns how many SQL statements the service ran for it.
pub async fn statements_for<F, Fut>(client: &reqwest::Client, service_url: &str, request: F) -> u64
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let before = statements(client, service_url).await;
    let response = request().await;
    assert!(
        response.status().is_success(),
        "the counted request failed: {}",
        response.status()
    );
    statements(client, service_url).await - before
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
