use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_example_route_answers_from_the_database() {
    let app = spawn_app().await;
    let response = app.get(&app.service.url, "/api/v1/mailer/status").await;
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.unwrap();
    assert_eq!(status["service"], "mailer");
    assert!(status["database_time"].is_string());
}

#[tokio::test]
async fn probes_answer_on_the_api_port_and_metrics_on_the_admin_port() {
    let app = spawn_app().await;
    assert_eq!(app.get(&app.service.url, "/healthz").await.status(), 200);
    assert_eq!(app.get(&app.service.url, "/readyz").await.status(), 200);
    app.get(&app.service.url, "/api/v1/mailer/status").await;
    let metrics = app.get(&app.service.admin_url, "/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("route=\"/api/v1/mailer/status\""),
        "requests are counted by route:\n{text}"
    );
    assert_eq!(
        app.get(&app.service.url, "/metrics").await.status(),
        404,
        "the API port says nothing about internals"
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(format!("{}/api/v1/mailer/status", app.service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}
