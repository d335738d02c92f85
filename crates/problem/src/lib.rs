//! The error every HTTP handler returns, rendered as RFC 9457 problem details.
//!
//! Handlers return `Result<_, ApiError>`. Client mistakes carry a message meant
//! for the client; anything unexpected becomes [`ApiError::Internal`], which is
//! logged once here with its cause and shown to the client as a bare 500. Each
//! kind of problem has its own documented `type` URI ([`ProblemType`]), so a
//! client branches on `type`, never on `detail`.
//!
//! Other layers have their own errors (the database's, the service clients');
//! they are turned into an `ApiError` where a handler meets them.

mod kind;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
pub use gridlink_ids::{FieldError, Invalid};
use serde::Serialize;

pub use kind::{BASE as PROBLEM_TYPE_BASE, ProblemType};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Why an access token was not accepted (RFC 6750 `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Malformed, forged, or for someone else: log in again.
    Invalid,
    /// It was good and has expired: refresh it.
    Expired,
    /// Its session was ended (logout, password change): log in again.
    Revoked,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: fields that could not be parsed, each named.
    #[error("the request has invalid fields")]
    Invalid(Invalid),
    /// 400: a request that cannot be read at all (malformed JSON, no body).
    #[error("{0}")]
    BadRequest(String),
    /// 401 without credentials where they are needed.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 for a bearer token that was refused.
    #[error("{detail}")]
    Token {
        problem: TokenProblem,
        detail: String,
    },
    /// 401 for a wrong login, password, refresh token or code.
    #[error("{0}")]
    InvalidCredentials(String),
    /// 401: the account behind a still-valid token was deleted.
    #[error("the account no longer exists")]
    AccountGone,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// 405; `allow` lists the methods the resource does take.
    #[error("{method} is not allowed on this resource")]
    MethodNotAllowed { method: String, allow: String },
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 409: another change to the same object holds it; retry shortly.
    #[error("{detail}")]
    Busy {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The client took too long to send its request.
    #[error("the request body did not arrive within {0:?}")]
    RequestTimeout(std::time::Duration),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 from a rate limit (the gateway's budgets).
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// 429 from the login throttle (failed passwords).
    #[error("{detail}")]
    LoginThrottled {
        detail: String,
        retry_after_secs: u64,
    },
    /// 503: a dependency (database, broker, another service) is unavailable.
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after_secs: Option<u64>,
    },
    /// 502: a dependency answered with nonsense or an error of its own.
    #[error("{0}")]
    BadGateway(String),
    /// 504: a dependency did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    /// Another problem, with `errors` naming its parts (which part of a
    /// page failed, for instance).
    #[error("{problem}")]
    Parts {
        problem: Box<ApiError>,
        errors: Vec<FieldError>,
    },
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(detail.into())
    }

    /// A 400 naming one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(Invalid::field(field, message))
    }

    /// A 400 listing every invalid field at once.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Self::Invalid(Invalid { errors })
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            detail: message.clone(),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found() -> Self {
        Self::NotFound("the resource does not exist".into())
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable {
            detail: detail.into(),
            retry_after_secs: Some(1),
        }
    }

    /// A refused bearer token.
    pub fn token(problem: TokenProblem) -> Self {
        let detail = match problem {
            TokenProblem::Invalid => "the access token is invalid",
            TokenProblem::Expired => "the access token has expired; refresh it",
            TokenProblem::Revoked => "the session of this access token has ended",
        };
        Self::Token {
            problem,
            detail: detail.into(),
        }
    }

    /// This problem, with `errors` naming the parts it concerns.
    pub fn with_errors(self, errors: Vec<FieldError>) -> Self {
        Self::Parts {
            problem: Box::new(self),
            errors,
        }
    }

    pub fn problem_type(&self) -> ProblemType {
        match self {
            Self::Parts { problem, .. } => problem.problem_type(),
            Self::Invalid(_) => ProblemType::Validation,
            Self::BadRequest(_) => ProblemType::BadRequest,
            Self::Unauthorized(_) => ProblemType::AuthenticationRequired,
            Self::Token {
                problem: TokenProblem::Invalid,
                ..
            } => ProblemType::TokenInvalid,
            Self::Token {
                problem: TokenProblem::Expired,
                ..
            } => ProblemType::TokenExpired,
            Self::Token {
                problem: TokenProblem::Revoked,
                ..
            } => ProblemType::SessionEnded,
            Self::InvalidCredentials(_) => ProblemType::InvalidCredentials,
            Self::AccountGone => ProblemType::AccountGone,
            Self::Forbidden(_) => ProblemType::Forbidden,
            Self::NotFound(_) => ProblemType::NotFound,
            Self::MethodNotAllowed { .. } => ProblemType::MethodNotAllowed,
            Self::Conflict { .. } => ProblemType::Conflict,
            Self::Busy { .. } => ProblemType::Busy,
            Self::PayloadTooLarge { .. } => ProblemType::PayloadTooLarge,
            Self::RequestTimeout(_) => ProblemType::RequestTimeout,
            Self::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
            Self::TooManyRequests { .. } => ProblemType::RateLimited,
            Self::LoginThrottled { .. } => ProblemType::LoginThrottled,
            Self::Unavailable { .. } => ProblemType::Unavailable,
            Self::BadGateway(_) => ProblemType::BadGateway,
            Self::GatewayTimeout(_) => ProblemType::GatewayTimeout,
            Self::Internal(_) => ProblemType::Internal,
        }
    }

    fn errors(&self) -> Option<&[FieldError]> {
        match self {
            Self::Invalid(invalid) if !invalid.errors.is_empty() => Some(&invalid.errors),
            Self::Conflict { errors, .. } | Self::Parts { errors, .. } if !errors.is_empty() => {
                Some(errors)
            }
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Parts { problem, .. } => problem.retry_after(),
            Self::TooManyRequests {
                retry_after_secs, ..
            }
            | Self::LoginThrottled {
                retry_after_secs, ..
            }
            | Self::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::Unavailable {
                retry_after_secs, ..
            } => *retry_after_secs,
            Self::GatewayTimeout(_) => Some(1),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            Self::Parts { problem, .. } => problem.www_authenticate(),
            Self::Unauthorized(_) | Self::InvalidCredentials(_) => Some("Bearer"),
            Self::Token { .. } | Self::AccountGone => Some("Bearer error=\"invalid_token\""),
            _ => None,
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

/// The JSON body of a problem response.
#[derive(Debug, Serialize)]
struct ProblemDetails<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem_type().status()
    }

    fn error_response(&self) -> HttpResponse {
        let inner = match self {
            Self::Parts { problem, .. } => problem.as_ref(),
            other => other,
        };
        match inner {
            Self::Internal(cause) => {
                tracing::error!(
                    error.cause = format!("{cause:#}"),
                    "request failed with an internal error"
                );
            }
            Self::Unavailable { detail, .. } => {
                tracing::warn!(error.detail = %detail, "dependency unavailable");
            }
            _ => {}
        }
        let kind = self.problem_type();
        let body = ProblemDetails {
            kind: kind.uri(),
            title: kind.title(),
            status: kind.status().as_u16(),
            detail: self.to_string(),
            errors: self.errors(),
        };
        let mut response = HttpResponse::build(kind.status())
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
            .body(serde_json::to_string(&body).unwrap_or_default());
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if let Some(challenge) = self.www_authenticate() {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Self::MethodNotAllowed { allow, .. } = inner
            && let Ok(value) = HeaderValue::from_str(allow)
        {
            headers.insert(header::ALLOW, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_json(response: HttpResponse) -> serde_json::Value {
        let bytes = response.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn validation_errors_render_as_problem_json_with_fields() {
        let error = ApiError::invalid_fields(vec![FieldError::new("username", "too short")]);
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            PROBLEM_JSON
        );
        let body = body_json(response);
        assert_eq!(body["status"], 400);
        assert_eq!(body["title"], "Invalid request");
        assert_eq!(body["type"], ProblemType::Validation.uri());
        assert_eq!(body["errors"][0]["field"], "username");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::from(anyhow::anyhow!("relation \"users\" does not exist"));
        let body = body_json(error.error_response());
        assert_eq!(body["status"], 500);
        assert!(!body.to_string().contains("relation"));
    }

    #[test]
    fn throttling_carries_retry_after() {
        let response = ApiError::TooManyRequests {
            detail: "slow down".into(),
            retry_after_secs: 42,
        }
        .error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get("retry-after").unwrap(), "42");
    }

    #[test]
    fn a_refused_token_says_so_in_the_challenge_and_the_type() {
        let expired = ApiError::token(TokenProblem::Expired).error_response();
        assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            expired.headers().get("www-authenticate").unwrap(),
            "Bearer error=\"invalid_token\""
        );
        assert_eq!(body_json(expired)["type"], ProblemType::TokenExpired.uri());
        let missing = ApiError::Unauthorized("log in".into()).error_response();
        assert_eq!(missing.headers().get("www-authenticate").unwrap(), "Bearer");
    }

    #[test]
    fn method_not_allowed_lists_what_is() {
        let response = ApiError::MethodNotAllowed {
            method: "PUT".into(),
            allow: "GET, HEAD".into(),
        }
        .error_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers().get("allow").unwrap(), "GET, HEAD");
    }
}
