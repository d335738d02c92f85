use gridlink_db::testing::TestDatabase;
use gridlink_test_support::{Running, TestTokens, User, kit_config};
use reqwest::Method;
use serde_json::{Value, json};

pub struct TestApp {
    pub tokens: TestTokens,
    pub grids: Running,
    pub client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A grids service whose configuration `adjust` changed first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut grids::Config)) -> TestApp {
    let tokens = TestTokens::new();
    let db = TestDatabase::create("grids", grids::MIGRATIONS).await;
    let mut config = grids::Config::from_env().unwrap();
    config.kit = kit_config(Some(&db));
    config.tokens = tokens.verification();
    adjust(&mut config);
    let app = grids::build(config).await.unwrap();
    TestApp {
        tokens,
        grids: Running::serve(app, Some(db)),
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.grids.url, path)
    }

    pub async fn user(&self, name: &str) -> User {
        self.tokens.user(name)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.call(Method::GET, path, token, None).await
    }

    /// Creates a grid and returns its JSON.
    pub async fn create_grid(&self, user: &User, title: &str, visibility: &str) -> Value {
        let response = self
            .call(
                Method::POST,
                "/api/v1/grids",
                Some(&user.access_token),
                Some(json!({"title": title, "visibility": visibility})),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    pub async fn sql_count(&self, query: &str) -> i64 {
        gridlink_test_support::sql::count(&self.grids.db.as_ref().unwrap().url, query).await
    }

    /// Runs statements, or returns the plan of an EXPLAIN.
    pub async fn sql(&self, query: &str) -> Vec<String> {
        let url = &self.grids.db.as_ref().unwrap().url;
        if query.starts_with("EXPLAIN") {
            gridlink_test_support::sql::explain(url, query).await
        } else {
            gridlink_test_support::sql::execute(url, query).await;
            Vec::new()
        }
    }
}
