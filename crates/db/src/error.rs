//! What can go wrong in a service's database layer, by kind. Queries return
//! [`DbError`]; a handler turns it into its answer (`From<DbError> for
//! ApiError` below, so `?` does it): a missing row is a 404, a taken unique
//! key a 409, an unreachable database or an exhausted pool a 503, and
//! anything else a 500 that is logged with the place where it happened.

use std::panic::Location;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use gridlink_problem::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no such row")]
    NotFound,
    /// A unique constraint refused the write; the service knows what it means.
    #[error("unique constraint {constraint} was violated")]
    Conflict { constraint: String },
    /// No connection could be had, or it broke: try again shortly.
    #[error("the database is unavailable: {reason}")]
    Unavailable { reason: String },
    /// The transaction lost a race with a concurrent one: try again.
    #[error("the transaction conflicted with a concurrent one")]
    Serialization,
    /// Anything else, with the place in the code that ran the query.
    #[error("database query failed at {location}")]
    Failed {
        location: &'static Location<'static>,
        #[source]
        source: DieselError,
    },
}

impl DbError {
    /// Whether trying again later may succeed (consumers retry these).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Serialization)
    }

    /// The constraint behind a [`DbError::Conflict`].
    pub fn constraint(&self) -> Option<&str> {
        match self {
            Self::Conflict { constraint } => Some(constraint),
            _ => None,
        }
    }
}

impl From<DieselError> for DbError {
    #[track_caller]
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict {
                    constraint: info.constraint_name().unwrap_or("unknown").to_owned(),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Serialization
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable {
                reason: info.message().to_owned(),
            },
            source => Self::Failed {
                location: Location::caller(),
                source,
            },
        }
    }
}

impl From<PoolError> for DbError {
    fn from(error: PoolError) -> Self {
        let reason = match &error {
            PoolError::Timeout(_) => "no connection became free in time".to_owned(),
            PoolError::Backend(e) => format!("could not connect: {e}"),
            PoolError::Closed => "the pool is closed".to_owned(),
            other => other.to_string(),
        };
        tracing::warn!(reason, "no database connection available");
        Self::Unavailable { reason }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::not_found(),
            DbError::Conflict { .. } => ApiError::Conflict {
                detail: "the resource already exists".into(),
                errors: Vec::new(),
            },
            DbError::Unavailable { .. } => {
                ApiError::unavailable("the database is unavailable, try again shortly")
            }
            DbError::Serialization => {
                ApiError::unavailable("the request conflicted with a concurrent one, try again")
            }
            failed @ DbError::Failed { .. } => ApiError::Internal(anyhow::Error::new(failed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    #[test]
    fn a_missing_row_is_404_and_a_closed_connection_is_503_with_retry_after() {
        let missing = ApiError::from(DbError::from(DieselError::NotFound));
        assert_eq!(missing.status_code(), 404);
        let closed = DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection".to_string()),
        );
        let response = ApiError::from(DbError::from(closed)).error_response();
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
    }

    #[test]
    fn an_unexpected_failure_names_where_it_happened() {
        let failed = DbError::from(DieselError::QueryBuilderError("bad".into()));
        assert!(
            failed.to_string().contains("crates/db/src/error.rs"),
            "{failed}"
        );
        assert_eq!(ApiError::from(failed).status_code(), 500);
    }
}
