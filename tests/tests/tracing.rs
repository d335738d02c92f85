//! One trace spans the gateway, the service behind it, and the consumers that
//! act on the event the service published: trace context travels in HTTP
//! headers, in the outbox row, and in the AMQP message headers.
//! (Its own test binary: it installs the process-wide tracing subscriber.)

use std::time::Duration;

use gridlink_e2e::stack::{Options, Stack};
use gridlink_test_support::PASSWORD;
use opentelemetry::trace::TraceId;
use opentelemetry_sdk::trace::InMemorySpanExporter;
use serde_json::{Value, json};

#[tokio::test]
async fn a_deletion_is_one_trace_from_the_gateway_to_every_consumer() {
    let exporter = InMemorySpanExporter::default();
    let _telemetry = gridlink_telemetry::init_with_exporter("gridlink-e2e", exporter.clone());
    let stack = Stack::start_options(Options {
        gateway: Some(Box::new(|_| {})),
        ..Options::default()
    })
    .await;
    let edge = stack.edge().to_owned();

    let signed: Value = stack
        .client
        .post(format!("{edge}/api/v1/auth/signup"))
        .json(&json!({"username": "traced", "email": "traced@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed["access_token"].as_str().unwrap();
    let user_id = signed["user"]["id"].as_str().unwrap().to_owned();

    // The front-end starts the trace.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = stack
        .client
        .delete(format!("{edge}/api/v1/users/me"))
        .bearer_auth(token)
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);

    stack
        .eventually(
            Duration::from_secs(15),
            "both services confirmed erasure",
            async || {
                stack
                    .count(
                        &stack.auth,
                        &format!("SELECT count(*) AS n FROM erasures WHERE user_id = '{user_id}'"),
                    )
                    .await
                    == 2
            },
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let trace_id = TraceId::from_hex(trace).unwrap();
    let names: Vec<String> = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.span_context.trace_id() == trace_id)
        .map(|span| span.name.into_owned())
        .collect();
    let has = |suffix: &str| names.iter().any(|n| n.ends_with(suffix));
    let route_spans = names
        .iter()
        .filter(|n| *n == "DELETE /api/v1/users/me")
        .count();
    assert_eq!(
        route_spans, 2,
        "the gateway's span and the auth service's, named by route: {names:?}"
    );
    assert!(
        has("grids.user-deleted process"),
        "the grids consumer's span: {names:?}"
    );
    assert!(
        has("links.user-deleted process"),
        "the links consumer's span: {names:?}"
    );
    assert!(
        has("auth.user-erased process"),
        "the erasure confirmations join it too: {names:?}"
    );
}
