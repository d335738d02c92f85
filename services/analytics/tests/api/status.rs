use crate::helpers::spawn_app;

#[tokio::test]
async fn probes_answer_on_the_api_port_and_metrics_on_the_admin_port() {
    let app = spawn_app().await;
    assert_eq!(app.get(&app.service.url, "/healthz").await.status(), 200);
    assert_eq!(app.get(&app.service.url, "/readyz").await.status(), 200);
    let anonymous = app.get(&app.service.url, "/api/v1/stats/summary").await;
    assert_eq!(anonymous.status(), 401, "statistics are the owner's");
    let metrics = app.get(&app.service.admin_url, "/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("route=\"/api/v1/stats/summary\""),
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
        .post(format!("{}/api/v1/stats/summary", app.service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}
