use std::time::Duration;

use auth::Config;
use diesel_async::RunQueryDsl;
use gridlink_config::Secret;
use gridlink_db::testing::TestDatabase;
use serde_json::{Value, json};

pub const INTERNAL_TOKEN: &str = "test-gateway-token-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    /// The private key the server signs with, so tests can forge tokens.
    pub signing_pem: String,
    pub config: Config,
    handle: actix_web::dev::ServerHandle,
}

/// Options a test may change before the server starts.
pub fn test_config(db: &TestDatabase, signing_pem: &str) -> Config {
    let mut config = Config::from_env().expect("the default configuration is valid");
    config.http.addr = "127.0.0.1:0".parse().unwrap();
    config.http.workers = 1;
    config.database_url = db.url.clone();
    config.pool.max_size = 4;
    config.signing_key.private_pem = Some(Secret::new(signing_pem));
    config.signing_key.key_id = Some("test-key".into());
    config.events = None;
    config.internal_tokens =
        gridlink_service_auth::ServiceTokens::parse(&[format!("gateway:{INTERNAL_TOKEN}")])
            .unwrap();
    config.trusted_proxies = gridlink_http::TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDatabase::create("auth", auth::MIGRATIONS).await;
    let signing_pem = auth::generate_pem().unwrap();
    let mut config = test_config(&db, &signing_pem);
    adjust(&mut config);
    let app = auth::build(config.clone()).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        db,
        signing_pem,
        config,
        handle,
    }
}

/// A signed-up user and their tokens.
pub struct Account {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn signup(&self, username: &str) -> Account {
        let email = format!("{username}@example.com");
        let response = self
            .post(
                "/api/v1/auth/signup",
                &json!({"username": username, "email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 201, "signup of {username} failed");
        let body: Value = response.json().await.unwrap();
        Account {
            id: body["user"]["id"].as_str().unwrap().to_owned(),

            email,
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/v1/auth/login",
            &json!({"login": login, "password": password}),
        )
        .await
    }

    /// Runs SQL on the app's database (for checks the API cannot show).
    pub async fn sql(&self, query: &str) {
        use diesel_async::SimpleAsyncConnection as _;
        let mut conn = gridlink_db::connect(&self.db.url).await.unwrap();
        conn.batch_execute(query).await.unwrap();
    }

    pub async fn count(&self, query: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = gridlink_db::connect(&self.db.url).await.unwrap();
        diesel::sql_query(query)
            .get_result::<Count>(&mut conn)
            .await
            .unwrap()
            .n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(handle.stop(false));
    }
}

/// Asserts a problem+json answer with the status, and returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// The fields named in a 400's `errors`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
