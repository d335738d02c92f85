use gridlink_db::testing::TestDatabase;
use gridlink_test_support::{Running, kit_config};

pub struct TestApp {
    pub service: Running,
    pub client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    let db = TestDatabase::create("mailer", mailer::MIGRATIONS).await;
    let mut config = mailer::Config::from_env().unwrap();
    config.kit = kit_config(Some(&db));
    let app = mailer::build(config).await.unwrap();
    TestApp {
        service: Running::serve(app, Some(db)),
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    pub async fn get(&self, base: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
    }
}
