use gridlink_db::testing::TestDatabase;
use gridlink_test_support::{Running, TestTokens, User, kit_config};
use reqwest::Method;
use serde_json::{Value, json};

pub struct TestApp {
    pub tokens: TestTokens,
    pub grids: Running,
    pub links: Running,
    pub client: reqwest::Client,
}

/// The links service and the grids service it asks, both checking tokens
/// signed by the test's key.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The same, with the links service's configuration changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut links::Config)) -> TestApp {
    let tokens = TestTokens::new();

    let grids_db = TestDatabase::create("grids", grids::MIGRATIONS).await;
    let mut config = grids::Config::from_env().unwrap();
    config.kit = kit_config(Some(&grids_db));
    config.tokens = tokens.verification();
    let grids = Running::serve(grids::build(config).await.unwrap(), Some(grids_db));

    let links_db = TestDatabase::create("links", links::MIGRATIONS).await;
    let mut config = links::Config::from_env().unwrap();
    config.kit = kit_config(Some(&links_db));
    config.kit.http.workers = 2;
    if let Some(database) = config.kit.database.as_mut() {
        database.pool.max_size = 8;
    }
    config.tokens = tokens.verification();
    config.grids.base_url = grids.url.clone();
    config.grids.service_token = Some(gridlink_config::Secret::new(
        gridlink_test_support::LINKS_TOKEN,
    ));
    adjust(&mut config);
    let links = Running::serve(links::build(config).await.unwrap(), Some(links_db));

    TestApp {
        tokens,
        grids,
        links,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
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
        let base = if path.starts_with("/api/v1/grids") {
            &self.grids.url
        } else {
            &self.links.url
        };
        let mut request = self.client.request(method, format!("{base}{path}"));
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

    pub async fn grid(&self, user: &User, visibility: &str) -> String {
        let response = self
            .call(
                Method::POST,
                "/api/v1/grids",
                Some(&user.access_token),
                Some(json!({"title": "grid", "visibility": visibility})),
            )
            .await;
        assert_eq!(response.status(), 201);
        let grid: Value = response.json().await.unwrap();
        grid["slug"].as_str().unwrap().to_owned()
    }

    pub async fn link(&self, user: &User, grid: &str, title: &str) -> Value {
        let response = self
            .call(
                Method::POST,
                "/api/v1/links",
                Some(&user.access_token),
                Some(json!({"grid": grid, "title": title, "url": format!("https://example.com/{title}")})),
            )
            .await;
        assert_eq!(response.status(), 201, "creating link {title}");
        response.json().await.unwrap()
    }

    /// Titles of a grid's links in order, as the owner sees them.
    pub async fn titles(&self, user: &User, grid: &str) -> Vec<String> {
        let page: Value = self
            .get(
                &format!("/api/v1/links?grid={grid}&limit=100"),
                Some(&user.access_token),
            )
            .await
            .json()
            .await
            .unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, l)| {
                assert_eq!(l["position"], i as i64, "positions are dense and ordered");
                l["title"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// The profile's batch of `grids`, as the gateway asks it.
    pub async fn batch(
        &self,
        grids: &[&str],
    ) -> std::collections::HashMap<gridlink_ids::GridSlug, links_client::GridLinks> {
        let mut settings = links_client::ClientSettings::local(&self.links.url);
        settings.service_token = Some(gridlink_config::Secret::new(
            gridlink_test_support::GATEWAY_TOKEN,
        ));
        let slugs: Vec<gridlink_ids::GridSlug> = grids.iter().map(|g| g.parse().unwrap()).collect();
        links_client::LinksClient::new(settings)
            .links_of_grids(&slugs)
            .await
            .unwrap()
    }

    pub async fn sql_count(&self, query: &str) -> i64 {
        gridlink_test_support::sql::count(&self.links.db.as_ref().unwrap().url, query).await
    }

    /// Runs statements, or returns the plan of an EXPLAIN.
    pub async fn sql_lines(&self, query: &str) -> Vec<String> {
        let url = &self.links.db.as_ref().unwrap().url;
        if query.starts_with("EXPLAIN") {
            gridlink_test_support::sql::explain(url, query).await
        } else {
            gridlink_test_support::sql::execute(url, query).await;
            Vec::new()
        }
    }
}
