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
    let app = grids::Application::build(config).await.unwrap();
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
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel_async::RunQueryDsl;
        let db = self.grids.db.as_ref().unwrap();
        let mut conn = gridlink_db::connect(&db.url).await.unwrap();
        diesel::sql_query(query)
            .get_result::<Count>(&mut conn)
            .await
            .unwrap()
            .n
    }

    pub async fn sql(&self, query: &str) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
            line: String,
        }
        use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
        let db = self.grids.db.as_ref().unwrap();
        let mut conn = gridlink_db::connect(&db.url).await.unwrap();
        if query.starts_with("EXPLAIN") {
            diesel::sql_query(query)
                .load::<Line>(&mut conn)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.line)
                .collect()
        } else {
            conn.batch_execute(query).await.unwrap();
            Vec::new()
        }
    }
}
