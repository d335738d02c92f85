//! The backend calls behind the pages the gateway assembles itself (the
//! profile, a grid's page): each under its backend's circuit breaker, a
//! failure answered as a problem naming the part that failed.

use actix_web::{HttpResponse, ResponseError};
use gridlink_problem::{ApiError, FieldError};
use gridlink_rest_client::ClientError;

use crate::state::Backend;

/// A failed part of a page, said as the problem's `errors`.
fn part_failed(part: &str, backend: &Backend, error: &ClientError) -> HttpResponse {
    let detail = format!(
        "the page's {part} could not be loaded from the {} service",
        backend.name
    );
    let problem = match error {
        ClientError::Timeout { .. } => ApiError::GatewayTimeout(detail),
        ClientError::Unreachable { .. } => ApiError::unavailable(detail),
        _ => ApiError::BadGateway(detail),
    };
    problem
        .with_errors(vec![FieldError::new(part, error.to_string())])
        .error_response()
}

fn circuit_open(part: &str, backend: &Backend, wait: std::time::Duration) -> HttpResponse {
    ApiError::Unavailable {
        detail: format!(
            "the page's {part} are unavailable: the {} service is failing",
            backend.name
        ),
        retry_after_secs: Some(wait.as_secs().max(1)),
    }
    .with_errors(vec![FieldError::new(part, "circuit open")])
    .error_response()
}

/// Runs one backend call under that backend's circuit breaker; a failure is
/// the page's answer.
pub async fn call<T>(
    part: &str,
    backend: &Backend,
    work: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, HttpResponse> {
    let permit = backend
        .breaker
        .admit()
        .map_err(|wait| circuit_open(part, backend, wait))?;
    let result = work.await;
    let failed = matches!(
        &result,
        Err(ClientError::Timeout { .. }
            | ClientError::Unreachable { .. }
            | ClientError::Status {
                status: 502..=504,
                ..
            })
    );
    permit.record(!failed);
    result.map_err(|e| part_failed(part, backend, &e))
}
