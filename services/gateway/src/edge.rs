//! What happens to every API request before it reaches a service: the access
//! token (if any) is verified here, so a bad one never bothers a service, and
//! the caller is rate limited (per user when signed in, per client IP
//! otherwise). Also the CORS and security headers on every response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use gridlink_access_token::VerifyAccessToken;
use gridlink_problem::{ApiError, problem_response};

use crate::ratelimit::{Decision, Quota};
use crate::state::Gateway;

/// Who is calling, once the edge checks passed.
pub struct Admitted {
    pub user: Option<String>,
    quota: Quota,
    decision: Decision,
}

impl Admitted {
    /// Adds the IETF `RateLimit-Policy` and `RateLimit` fields.
    pub fn decorate(&self, response: &mut HttpResponse) {
        rate_headers(response, self.quota, self.decision);
    }
}

fn rate_headers(response: &mut HttpResponse, quota: Quota, decision: Decision) {
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&format!(
        "\"default\";q={};w={}",
        quota.limit,
        quota.window.as_secs()
    )) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
    if let Ok(state) = HeaderValue::from_str(&format!(
        "\"default\";r={};t={}",
        decision.remaining, decision.reset_secs
    )) {
        headers.insert(HeaderName::from_static("ratelimit"), state);
    }
}

/// Verifies the bearer token if one is sent, then spends one request of the
/// caller's budget. Refusals are complete responses (401 or 429).
pub async fn admit(req: &HttpRequest, gateway: &Gateway) -> Result<Admitted, HttpResponse> {
    let user = match req.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, token)| {
                    scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
                })
                .map(|(_, token)| token.trim().to_owned());
            let claims = match token {
                Some(token) => gateway.verifier.verify(&token).await.ok(),
                None => None,
            };
            match claims {
                Some(claims) => Some(claims.sub),
                None => {
                    let error =
                        ApiError::Unauthorized("the access token is invalid or expired".into());
                    return Err(actix_web::ResponseError::error_response(&error));
                }
            }
        }
    };
    let (key, quota, caller) = match &user {
        Some(id) => (format!("user:{id}"), gateway.signed_in, "user"),
        None => {
            let ip = gridlink_http::client_ip(req, &gateway.trusted_proxies)
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            (format!("ip:{ip}"), gateway.anonymous, "anonymous")
        }
    };
    let decision = gateway.limiter.check(&key, quota).await;
    if !decision.allowed {
        gateway.rate_limited.with_label_values(&[caller]).inc();
        let error = ApiError::TooManyRequests {
            detail: "rate limit exceeded; see Retry-After".into(),
            retry_after_secs: decision.reset_secs,
        };
        let mut response = actix_web::ResponseError::error_response(&error);
        rate_headers(&mut response, quota, decision);
        return Err(response);
    }
    Ok(Admitted {
        user,
        quota,
        decision,
    })
}

/// Allowed browser origins (`CORS_ALLOWED_ORIGINS`).
#[derive(Clone, Default)]
pub struct Cors(pub Vec<String>);

const EXPOSED: &str = "X-Request-Id, RateLimit, RateLimit-Policy, Retry-After, Location";

/// CORS for allowed origins (answering preflights itself) and the security
/// headers every response carries.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let allowed = match (&origin, req.app_data::<web::Data<Cors>>()) {
        (Some(origin), Some(cors)) => cors.0.iter().any(|o| o == origin || o == "*"),
        _ => false,
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if preflight && allowed {
        let response = HttpResponse::build(StatusCode::NO_CONTENT)
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Authorization, Content-Type, X-Request-Id, traceparent",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        req.into_response(response).map_into_boxed_body()
    } else {
        next.call(req).await?.map_into_boxed_body()
    };

    let headers = response.headers_mut();
    if allowed && let Some(origin) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("cross-origin-resource-policy", "same-site"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    Ok(response)
}

/// A refusal for paths the gateway does not route (including /internal).
pub fn not_routed() -> HttpResponse {
    problem_response(StatusCode::NOT_FOUND, "no such route".into(), None)
}
