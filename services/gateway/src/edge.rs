//! What happens to every API request before it reaches a service: the access
//! token (if any) is verified here, so a bad one never bothers a service, and
//! the caller is rate limited (per user when signed in, per client IP
//! otherwise). Also the CORS and security headers on every response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, ResponseError, web};
use gridlink_ids::UserId;
use gridlink_problem::ApiError;

use crate::ratelimit::{Decision, Quota};
use crate::routes::{Operation, Security};
use crate::state::Gateway;

/// Who is calling, once the edge checks passed.
pub struct Admitted {
    pub user: Option<UserId>,
    /// The budgets spent, and the one closest to running out.
    policies: Vec<(&'static str, Quota)>,
    tightest: (&'static str, Decision),
}

impl Admitted {
    /// Adds the IETF `RateLimit-Policy` and `RateLimit` fields.
    pub fn decorate(&self, response: &mut HttpResponse) {
        rate_headers(response, &self.policies, self.tightest);
    }
}

fn rate_headers(
    response: &mut HttpResponse,
    policies: &[(&'static str, Quota)],
    (name, decision): (&'static str, Decision),
) {
    let headers = response.headers_mut();
    let policy = policies
        .iter()
        .map(|(name, quota)| format!("\"{name}\";q={};w={}", quota.limit, quota.window.as_secs()))
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
    if let Ok(state) = HeaderValue::from_str(&format!(
        "\"{name}\";r={};t={}",
        decision.remaining, decision.reset_secs
    )) {
        headers.insert(HeaderName::from_static("ratelimit"), state);
    }
}

/// The user of a verified bearer token, if the operation looks at tokens.
async fn caller(
    req: &HttpRequest,
    gateway: &Gateway,
    operation: &Operation,
) -> Result<Option<UserId>, ApiError> {
    if operation.security == Security::None {
        return Ok(None);
    }
    match gridlink_http::bearer_token(req)? {
        Some(token) => {
            let claims = gateway
                .verifier
                .verify(&token)
                .await
                .map_err(gridlink_http::refused)?;
            Ok(Some(claims.sub))
        }
        // Without a token the service answers for itself (a 401 where it
        // needs one); the edge only refuses tokens that are sent and bad.
        None => Ok(None),
    }
}

/// Verifies the bearer token where the operation uses one, then spends one
/// request of the caller's budget (and of the route group's, where it has
/// one). Refusals are complete responses (401, 429 or 503).
pub async fn admit(
    req: &HttpRequest,
    gateway: &Gateway,
    operation: &Operation,
) -> Result<Admitted, HttpResponse> {
    let user = caller(req, gateway, operation)
        .await
        .map_err(|e| e.error_response())?;
    let (key, quota, caller) = match &user {
        Some(id) => (format!("user:{id}"), gateway.signed_in, "user"),
        None => {
            let ip = gridlink_http::client_ip(req, &gateway.trusted_proxies)
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            (format!("ip:{ip}"), gateway.anonymous, "anonymous")
        }
    };
    let mut policies = Vec::with_capacity(2);
    let mut tightest: Option<(&'static str, Decision)> = None;
    let group = operation.group;
    let budgets = gateway
        .groups
        .of(group)
        .map(|quota| (group.name(), format!("{}:{key}", group.name()), quota))
        .into_iter()
        .chain(std::iter::once(("default", key, quota)));
    for (name, key, quota) in budgets {
        policies.push((name, quota));
        let decision = gateway.limiter.check(&key, quota).await;
        if !decision.allowed {
            gateway.rate_limited.with_label_values(&[caller]).inc();
            let error = ApiError::TooManyRequests {
                detail: "rate limit exceeded; see Retry-After".into(),
                retry_after_secs: decision.reset_secs,
            };
            let mut response = error.error_response();
            rate_headers(&mut response, &policies, (name, decision));
            return Err(response);
        }
        if tightest.is_none_or(|(_, t)| decision.remaining < t.remaining) {
            tightest = Some((name, decision));
        }
    }
    Ok(Admitted {
        user,
        policies,
        tightest: tightest.expect("the default budget is always spent"),
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
