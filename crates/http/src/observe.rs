//! One middleware that observes every request: it accepts or generates the
//! `X-Request-Id` (echoed on the response), opens the request's span as a child
//! of an incoming `traceparent`, records the Prometheus request metrics by
//! route pattern, and writes one access-log event.
//!
//! Labels are bounded whatever a client sends: the route is the template the
//! request was routed to (`/api/v1/grids/{slug}`), or `unmatched` when it was
//! routed nowhere, and the method is one of the standard ones or `OTHER`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::ops::Metrics;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, available to handlers through request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| value.to_owned())
}

/// The `route` label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The `method` label: one of the standard methods, or `OTHER` for whatever
/// else a client makes up (each would otherwise become a label forever).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Use with `App::wrap(actix_web::middleware::from_fn(observe))`.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));

    let method = method_label(req.method());
    // The span's name is fixed once its trace context exists, so it takes the
    // route as matched before routing; the metrics take the one routed to.
    // Its fields are what every log line of the request carries; what only
    // exported spans need is set as attributes, which logs never format.
    let planned = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let span = tracing::info_span!(
        "HTTP request",
        otel.name = %format!("{method} {planned}"),
        otel.kind = "server",
        request_id = %request_id,
        trace_id = tracing::field::Empty,
    );
    if let Some(parent) = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        gridlink_telemetry::continue_trace(&span, parent);
    }
    if let Some(trace_id) = span.in_scope(gridlink_telemetry::current_trace_id) {
        span.record("trace_id", trace_id.as_str());
    }
    gridlink_telemetry::set_attribute(&span, "http.request.method", method);
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();

    let result = next.call(req).instrument(span.clone()).await;

    let (status, route) = match &result {
        Ok(response) => (response.status(), response.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code(), None),
    };
    let route = route.unwrap_or_else(|| UNMATCHED.to_owned());
    let elapsed = started.elapsed();
    gridlink_telemetry::set_attribute(&span, "http.route", route.clone());
    gridlink_telemetry::set_attribute(
        &span,
        "http.response.status_code",
        i64::from(status.as_u16()),
    );
    if status.is_server_error() {
        gridlink_telemetry::set_error(&span);
    }
    if let Some(metrics) = metrics {
        metrics.observe_request(&route, method, status.as_u16(), elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            http.request.method = method,
            http.route = route,
            http.response.status_code = status.as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request completed"
        )
    });

    result.map(|mut response| {
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    })
}
