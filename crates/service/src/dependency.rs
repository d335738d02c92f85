//! What a handler answers when a call to another service failed: the caller
//! is not at fault, so never a 404 or a 400, and never the callee's words.

use gridlink_problem::ApiError;
use gridlink_rest_client::ClientError;

/// 503 (or 504 for a timeout) with `Retry-After` for a dependency that is
/// down, slow or overloaded; a 500 when it refused our own request (a bug
/// here) or answered nonsense.
pub fn dependency_failed(error: ClientError) -> ApiError {
    match &error {
        ClientError::Timeout { .. } => ApiError::GatewayTimeout(error.to_string()),
        ClientError::Unreachable { .. } => ApiError::unavailable(error.to_string()),
        ClientError::Status { status, .. } if *status >= 500 || *status == 429 => {
            ApiError::unavailable(format!("the {} service is unavailable", error.service()))
        }
        _ => ApiError::Internal(anyhow::Error::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    #[test]
    fn a_dependency_down_is_a_503_with_retry_after_and_a_slow_one_a_504() {
        let down =
            dependency_failed(ClientError::Unreachable { service: "grids" }).error_response();
        assert_eq!(down.status(), 503);
        assert!(down.headers().contains_key("retry-after"));
        let slow = dependency_failed(ClientError::Timeout {
            service: "grids",
            timeout: std::time::Duration::from_secs(2),
        });
        assert_eq!(slow.status_code(), 504);
        let refused = dependency_failed(ClientError::Status {
            service: "grids",
            status: 401,
            detail: None,
        });
        assert_eq!(refused.status_code(), 500);
    }
}
