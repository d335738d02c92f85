//! One error type for every HTTP handler, rendered as RFC 9457 problem details.
//!
//! Handlers return `Result<_, ApiError>`. Client mistakes carry a message meant
//! for the client; anything unexpected becomes [`ApiError::Internal`], which is
//! logged once here with its cause and shown to the client as a bare 500.
//! Database failures map by kind: a missing row is 404, an unreachable database
//! or an exhausted pool is 503, and no SQL or internal name ever leaves.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem with one field of the request body or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects per-field parse results, so one 400 can name every bad field.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// The parsed value, or `None` after recording the field's message.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.0.push(FieldError::new(field, message)))
            .ok()
    }

    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok` when every field was valid, else the 400 listing them.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_fields(self.0))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The client took too long to send its request.
    #[error("the request body did not arrive within {0:?}")]
    RequestTimeout(std::time::Duration),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after_secs: Option<u64>,
    },
    /// An upstream did not answer in time (the gateway).
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 400 listing every invalid field at once.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Self::BadRequest {
            detail: "the request has invalid fields".into(),
            errors,
        }
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

    fn errors(&self) -> Option<&[FieldError]> {
        match self {
            Self::BadRequest { errors, .. } | Self::Conflict { errors, .. }
                if !errors.is_empty() =>
            {
                Some(errors)
            }
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::Unavailable {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        }
    }
}

/// The problem document as the OpenAPI documents describe it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub struct ProblemSchema {
    /// `about:blank`: the status and title say what happened.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    kind: String,
    #[schema(example = "Bad Request")]
    title: String,
    #[schema(example = 400)]
    status: u16,
    /// A human-readable explanation for this occurrence.
    detail: String,
    /// Present on validation errors: one entry per invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
}

/// The JSON body of a problem response.
#[derive(Debug, Serialize)]
pub struct ProblemDetails<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [FieldError]>,
}

/// Renders a problem response for any status; used by the error type and by
/// the fallbacks (unknown route, wrong method) that have no error value.
pub fn problem_response(
    status: StatusCode,
    detail: String,
    errors: Option<&[FieldError]>,
) -> HttpResponse {
    let body = ProblemDetails {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        errors,
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(serde_json::to_string(&body).unwrap_or_default())
}

/// Adds a problem+json response for each `(status, description)` to every
/// operation of the document that does not document that status yet.
pub fn add_problem_responses(openapi: &mut utoipa::openapi::OpenApi, problems: &[(&str, &str)]) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for (status, description) in problems {
                operation
                    .responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(*description)
                            .content(
                                PROBLEM_JSON,
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build()
                            .into()
                    });
            }
        }
    }
}

/// Adds the problem responses every operation can give: 500 and 503 always,
/// and 400, 413 and 415 where the operation takes a JSON body.
pub struct StandardProblems;

impl utoipa::Modify for StandardProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                };
                if operation.request_body.is_some() {
                    add("400", "Malformed JSON, unknown fields or invalid values");
                    add("413", "Request body over 64 KiB");
                    add("415", "Request body is not application/json");
                } else if !operation.parameters.as_ref().is_none_or(Vec::is_empty) {
                    add("400", "Invalid parameters");
                }
                add("500", "Unexpected failure");
                add("503", "A dependency is unavailable; see Retry-After");
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Internal(cause) => {
                tracing::error!(error.cause = ?cause, "request failed with an internal error");
            }
            Self::Unavailable { detail, .. } => {
                tracing::warn!(error.detail = %detail, "dependency unavailable");
            }
            _ => {}
        }
        let mut response = problem_response(status, self.to_string(), self.errors());
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if let Self::Unauthorized(_) = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::not_found(),
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => {
                Self::unavailable("the database is unavailable, try again shortly")
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::unavailable("the request conflicted with a concurrent one, try again")
            }
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Conflict {
                detail: "the resource already exists".into(),
                errors: Vec::new(),
            },
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Timeout(_) | PoolError::Backend(_) | PoolError::Closed => {
                tracing::warn!(error = %error, "no database connection available");
                Self::unavailable("the database is unavailable, try again shortly")
            }
            other => Self::Internal(anyhow::anyhow!("database pool misconfigured: {other}")),
        }
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
        assert_eq!(body["title"], "Bad Request");
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
    fn a_missing_row_is_404_and_a_closed_connection_is_503_with_retry_after() {
        assert_eq!(
            ApiError::from(DieselError::NotFound).status_code(),
            StatusCode::NOT_FOUND
        );
        let closed = DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection".to_string()),
        );
        let response = ApiError::from(closed).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
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
}
