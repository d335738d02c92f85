use crate::helpers::{problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_and_readyz_answer_200_when_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert_eq!(app.get("/readyz", None).await.status(), 200);
}

#[tokio::test]
async fn readyz_is_503_while_the_database_is_unreachable_but_healthz_stays_200() {
    let app = spawn_app_with(|c| {
        // Nothing listens on port 1.
        let database = c.kit.database.as_mut().unwrap();
        database.url = gridlink_config::Secret::new("postgres://postgres@127.0.0.1:1/none");
        database.pool.connect_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    let ready = app.get("/readyz", None).await;
    let body = problem(ready, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("database"));
    // Routes that need the database answer 503 with Retry-After, not 500.
    let response = app.get("/api/v1/users/someone", None).await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 503).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_report_the_pool() {
    let app = spawn_app().await;
    app.get("/api/v1/users/whoever", None).await;
    app.get("/api/v1/users/someone_else", None).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.auth.admin_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total") && l.contains("route=\"/api/v1/users/{username}\"")
        })
        .unwrap_or_else(|| panic!("no request counter in\n{text}"));
    assert!(line.contains("status=\"404\""), "{line}");
    assert!(line.ends_with(" 2"), "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections{"));
    assert!(!text.contains("whoever"), "raw paths are not labels");
}
