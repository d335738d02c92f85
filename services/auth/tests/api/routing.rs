use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn unknown_routes_are_404_problem_json() {
    let app = spawn_app().await;
    problem(app.get("/api/v1/nope", None).await, 404).await;
    problem(app.get("/", None).await, 404).await;
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_405() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    problem(response, 405).await;
    let response = app
        .client
        .post(app.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    problem(response, 405).await;
}

#[tokio::test]
async fn the_request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "client-chosen-id-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-chosen-id-123");
    let response = app.get("/api/v1/nope", None).await;
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 32);
    // An id that could inject into logs is replaced.
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id\twith spaces");
}
