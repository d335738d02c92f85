use gridlink_db::testing::TestDatabase;
use gridlink_test_support::{Running, User, internal_tokens, signup, spawn_auth};
use reqwest::Method;
use serde_json::{Value, json};

pub struct TestApp {
    pub auth: Running,
    pub grids: Running,
    pub client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    let auth = spawn_auth().await;
    let db = TestDatabase::create("grids", grids::MIGRATIONS).await;
    let mut config = grids::Config::from_env().unwrap();
    config.http.addr = "127.0.0.1:0".parse().unwrap();
    config.http.workers = 1;
    config.pool.max_size = 4;
    config.database_url = db.url.clone();
    config.auth.base_url = auth.url.clone();
    config.internal_tokens = internal_tokens();
    config.events = None;
    let app = grids::build(config).await.unwrap();
    let grids = Running::new(app.port(), app.handle(), Some(db));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        auth,
        grids,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.grids.url, path)
    }

    pub async fn user(&self, name: &str) -> User {
        signup(&self.client, &self.auth.url, name).await
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
