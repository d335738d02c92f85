//! Forwarding public API requests to the service that owns them, over the
//! upstream's pooled keep-alive connections, with the body limit, the
//! upstream's timeout and retry policy, and its circuit breaker. Bodies pass
//! through unchanged.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use gridlink_http::RequestId;
use gridlink_ids::UserId;
use gridlink_problem::ApiError;

use crate::edge;
use crate::routes::{Operation, Security};
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

fn forwardable(name: &str, operation: &Operation) -> bool {
    let gateway_sets = matches!(
        name,
        "content-length"
            | "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-request-id"
            | "traceparent"
            | "tracestate"
            | VERIFIED_USER
    );
    // A route that takes no token never sees one, stale or not.
    let unused_token = operation.security == Security::None && name == "authorization";
    !(HOP_BY_HOP.contains(&name) || gateway_sets || unused_token)
}

/// Answers one forwarded operation: admits the caller, reads the body, and
/// relays the upstream's answer.
pub async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    gateway: web::Data<Gateway>,
    operation: Arc<Operation>,
) -> HttpResponse {
    let upstream = operation
        .upstream
        .expect("only operations with an upstream are forwarded");
    let admitted = match edge::admit(&req, &gateway, &operation).await {
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
        Err(e) => return e.error_response(),
    };
    let backend = gateway.backend(upstream);
    let mut response = match send(
        &gateway,
        backend,
        &req,
        &operation,
        body,
        admitted.user.as_ref(),
    )
    .await
    {
        Ok(response) => response,
        Err(e) => e.error_response(),
    };
    // An upstream's own 429 (the login throttle) is about another budget:
    // the gateway's remaining requests would mislead.
    if response.status() != StatusCode::TOO_MANY_REQUESTS {
        admitted.decorate(&mut response);
    }
    response
}

async fn send(
    gateway: &Gateway,
    backend: &Backend,
    req: &HttpRequest,
    operation: &Operation,
    body: web::Bytes,
    user: Option<&UserId>,
) -> Result<HttpResponse, ApiError> {
    let permit = backend
        .breaker
        .admit()
        .map_err(|wait| ApiError::Unavailable {
            detail: format!("the {} service is unavailable", backend.name),
            retry_after_secs: Some(wait.as_secs().max(1)),
        })?;
    let request = build(gateway, backend, req, operation, body, user)?;
    match backend.rest.send(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            permit.record(!matches!(status, 502..=504));
            relay_response(response).await
        }
        Err(e) => {
            permit.record(false);
            let timed_out = e.is_timeout();
            tracing::warn!(
                upstream = backend.name,
                error = %gridlink_rest_client::causes(&e),
                "upstream call failed"
            );
            Err(if timed_out {
                ApiError::GatewayTimeout(format!(
                    "the {} service did not answer within {:?}",
                    backend.name,
                    backend.rest.settings().timeout
                ))
            } else {
                ApiError::unavailable(format!("the {} service is unavailable", backend.name))
            })
        }
    }
}

fn build(
    gateway: &Gateway,
    backend: &Backend,
    req: &HttpRequest,
    operation: &Operation,
    body: web::Bytes,
    user: Option<&UserId>,
) -> Result<reqwest::Request, ApiError> {
    // The path is normalised and re-encoded already (see `path::normalized`).
    let path_and_query = match req.uri().query() {
        Some(query) => format!("{}?{query}", req.path()),
        None => req.path().to_owned(),
    };
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| ApiError::bad_request("unsupported method"))?;
    let mut request = backend.rest.request(method, &path_and_query).body(body);
    for (name, value) in req.headers() {
        if forwardable(name.as_str(), operation) {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let peer = gridlink_http::client_ip(req, &gateway.trusted_proxies).map(|ip| ip.to_string());
    if let Some(client) = peer {
        request = request.header("x-forwarded-for", client);
    }
    if let Some(user) = user {
        request = request.header(VERIFIED_USER, user.as_str());
    }
    if let Some(id) = req.extensions().get::<RequestId>() {
        request = request.header("x-request-id", id.0.as_str());
    }
    request
        .build()
        .map_err(|e| ApiError::bad_request(format!("the request cannot be forwarded: {e}")))
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
