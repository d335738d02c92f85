use std::time::Duration;

use auth::Config;
use gridlink_config::Secret;
use gridlink_db::testing::TestDatabase;
use serde_json::{Value, json};

pub const INTERNAL_TOKEN: &str = "test-gateway-token-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The service, with its database.
    pub auth: gridlink_test_support::Running,
    /// The private key the server signs with, so tests can forge tokens.
    pub signing_pem: String,
    pub config: Config,
}

/// Options a test may change before the server starts.
pub fn test_config(db: &TestDatabase, signing_pem: &str) -> Config {
    let mut config = Config::from_env().expect("the default configuration is valid");
    config.kit = gridlink_test_support::kit_config(Some(db));
    config.signing_key.private_pem = Some(Secret::new(signing_pem));
    config.signing_key.key_id = Some("test-key".into());
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
    let auth = gridlink_test_support::Running::serve(app, Some(db));
    TestApp {
        address: auth.url.clone(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        auth,
        signing_pem,
        config,
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
        gridlink_test_support::sql::execute(&self.db().url, query).await;
    }

    pub async fn count(&self, query: &str) -> i64 {
        gridlink_test_support::sql::count(&self.db().url, query).await
    }

    pub fn db(&self) -> &TestDatabase {
        self.auth
            .db
            .as_ref()
            .expect("the service runs on a test database")
    }
}

pub use gridlink_test_support::{error_fields, problem};
