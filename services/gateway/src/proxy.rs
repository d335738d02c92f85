//! Forwarding public API requests to the service that owns them, over pooled
//! keep-alive connections, with the body limit, per-upstream timeouts, one
//! retry for idempotent requests that could not connect, and the circuit
//! breaker. Bodies pass through unchanged.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use gridlink_http::RequestId;
use gridlink_problem::ApiError;

use crate::edge;
use crate::path::{self, Upstream};
use crate::state::{Backend, Gateway};

/// Headers that belong to one hop and are never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// The user id the gateway verified, for the services' logs. Services still
/// verify the token themselves; a client-sent value is always dropped.
const VERIFIED_USER: &str = "x-gridlink-user";

fn forwardable(name: &str) -> bool {
    !HOP_BY_HOP.contains(&name)
        && !matches!(
            name,
            "content-length"
                | "x-forwarded-for"
                | "x-forwarded-proto"
                | "x-request-id"
                | "traceparent"
                | "tracestate"
                | VERIFIED_USER
        )
}

/// The default service: every path the gateway does not answer itself.
pub async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    gateway: web::Data<Gateway>,
) -> HttpResponse {
    let Some(path) = path::normalize(req.uri().path()) else {
        return edge::not_routed();
    };
    let Some(upstream) = path::upstream_for(&path) else {
        // A route the gateway answers itself, asked with another method.
        if req.resource_map().has_resource(&path) {
            return gridlink_http::fallback(req).await;
        }
        return edge::not_routed();
    };
    let admitted = match edge::admit(&req, &gateway).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = match gridlink_http::read_body(declared, payload.into_inner()).await {
        Ok(body) => body,
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    let mut response = match send(
        &gateway,
        upstream,
        &req,
        &path,
        body,
        admitted.user.as_deref(),
    )
    .await
    {
        Ok(response) => response,
        Err(e) => actix_web::ResponseError::error_response(&e),
    };
    admitted.decorate(&mut response);
    response
}

async fn send(
    gateway: &Gateway,
    upstream: Upstream,
    req: &HttpRequest,
    path: &str,
    body: web::Bytes,
    user: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let backend = gateway.backend(upstream);
    let permit = backend
        .breaker
        .admit()
        .map_err(|wait| ApiError::Unavailable {
            detail: format!("the {} service is unavailable", backend.name),
            retry_after_secs: Some(wait.as_secs().max(1)),
        })?;
    // An idempotent request is sent once more when the first attempt got no
    // answer, short of a timeout: the connection was refused, or reset or
    // closed under it (an upstream restarting, a pooled connection the
    // upstream was closing). Sending it again cannot do anything twice.
    let idempotent = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    );
    let mut attempt = 0;
    let outcome = loop {
        let result = backend
            .http
            .execute(build(gateway, backend, req, path, body.clone(), user)?)
            .await;
        match result {
            Err(e) if idempotent && !e.is_timeout() && attempt == 0 => {
                tracing::info!(upstream = backend.name, error = %causes(e), "retrying once");
                attempt += 1;
            }
            other => break other,
        }
    };
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            permit.record(!matches!(status, 502..=504));
            relay_response(response).await
        }
        Err(e) => {
            permit.record(false);
            let timed_out = e.is_timeout();
            tracing::warn!(upstream = backend.name, error = %causes(e), "upstream call failed");
            Err(if timed_out {
                ApiError::GatewayTimeout(format!(
                    "the {} service did not answer within {:?}",
                    backend.name, backend.timeout
                ))
            } else {
                ApiError::unavailable(format!("the {} service is unavailable", backend.name))
            })
        }
    }
}

/// A transport error and its sources on one line ("error sending request:
/// connection closed before message completed"), without the URL.
fn causes(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn build(
    gateway: &Gateway,
    backend: &Backend,
    req: &HttpRequest,
    path: &str,
    body: web::Bytes,
    user: Option<&str>,
) -> Result<reqwest::Request, ApiError> {
    let mut url = format!(
        "{}{}",
        backend.base_url.trim_end_matches('/'),
        path::encode(path)
    );
    if let Some(query) = req.uri().query() {
        url.push('?');
        url.push_str(query);
    }
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| ApiError::bad_request("unsupported method"))?;
    let mut request = backend.http.request(method, url).body(body);
    for (name, value) in req.headers() {
        if forwardable(name.as_str()) {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let peer = gridlink_http::client_ip(req, &gateway.trusted_proxies).map(|ip| ip.to_string());
    if let Some(client) = peer {
        request = request.header("x-forwarded-for", client);
    }
    if let Some(user) = user {
        request = request.header(VERIFIED_USER, user);
    }
    if let Some(id) = req.extensions().get::<RequestId>() {
        request = request.header("x-request-id", id.0.as_str());
    }
    let mut request = request
        .build()
        .map_err(|e| ApiError::bad_request(format!("the request cannot be forwarded: {e}")))?;
    gridlink_telemetry::inject_context(request.headers_mut());
    Ok(request)
}

async fn relay_response(response: reqwest::Response) -> Result<HttpResponse, ApiError> {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = HttpResponse::build(status);
    for (name, value) in response.headers() {
        let name = name.as_str();
        if HOP_BY_HOP.contains(&name) || matches!(name, "content-length" | "x-request-id" | "date")
        {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            builder.append_header((name, value));
        }
    }
    let body = response
        .bytes()
        .await
        .map_err(|_| ApiError::unavailable("the upstream response was cut off"))?;
    Ok(builder.body(body))
}
