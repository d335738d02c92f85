//! HTTP handlers. Each is a thin adapter: parse, call the queries or the
//! credential check, shape the answer. The layers' own errors become
//! problem+json here and nowhere else.

pub(crate) mod internal;
mod mfa;
mod recovery;
mod sessions;
mod signin;
mod users;

use actix_web::HttpResponseBuilder;
use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective};
use gridlink_problem::ApiError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::credentials::CheckError;
use crate::passwords::HashError;
use crate::tokens::SessionError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(signin::signup)
        .service(signin::login)
        .service(signin::login_mfa)
        .service(signin::refresh)
        .service(signin::logout)
        .service(signin::jwks)
        .service(sessions::list_sessions)
        .service(sessions::end_sessions)
        .service(sessions::end_session)
        .service(mfa::enrol)
        .service(mfa::confirm)
        .service(mfa::disable)
        .service(recovery::verify_email)
        .service(recovery::resend_verification)
        .service(recovery::forgot_password)
        .service(recovery::reset_password)
        .service(recovery::change_email)
        .service(users::get_me)
        .service(users::patch_me)
        .service(users::change_password)
        .service(users::delete_me)
        .service(users::public_user)
        .service(internal::user_by_username)
        .service(internal::users_by_ids)
        .service(internal::erasure_status)
        .service(internal::revoked_sessions);
}

/// An answer that carries tokens or private data: no cache may keep it.
fn private(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponseBuilder::new(status);
    builder.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    builder
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => ApiError::unavailable(error.to_string()),
            HashError::Failed(cause) => {
                ApiError::Internal(cause.context("password hashing failed"))
            }
        }
    }
}

impl From<CheckError> for ApiError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Throttled { reopens, .. } => ApiError::LoginThrottled {
                detail: error.to_string(),
                retry_after_secs: CheckError::retry_after_secs(reopens),
            },
            CheckError::Hash(e) => e.into(),
            CheckError::Db(e) => e.into(),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::InvalidRefresh => ApiError::InvalidCredentials(error.to_string()),
            SessionError::Ended => ApiError::token(gridlink_problem::TokenProblem::Revoked),
            SessionError::Db(e) => e.into(),
            SessionError::Sign(e) => ApiError::Internal(anyhow::Error::new(e)),
        }
    }
}
