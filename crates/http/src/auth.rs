//! The signed-in user of a request, as extractors: a handler that takes
//! [`Authenticated`] refuses requests without a valid access token, one that
//! takes [`MaybeAuthenticated`] serves anonymous callers too. The verifier is
//! the service's (`web::Data<AccessTokens>`): the JWKS of the auth service,
//! or the auth service's own keys, or a test's.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use gridlink_access_token::{Claims, TokenError, VerifyAccessToken};
use gridlink_ids::UserId;
use gridlink_problem::{ApiError, TokenProblem};

/// The verifier the extractors use; register as `web::Data<AccessTokens>`.
#[derive(Clone)]
pub struct AccessTokens(pub Arc<dyn VerifyAccessToken>);

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: UserId,
    pub claims: Claims,
}

/// Like [`Authenticated`], but absent instead of refused when no token is sent
/// (public reads that show more to the owner). A token that is sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Authenticated>);

impl MaybeAuthenticated {
    pub fn user_id(&self) -> Option<&UserId> {
        self.0.as_ref().map(|a| &a.user_id)
    }
}

/// The bearer token of the request: `Ok(None)` without an `Authorization`
/// header, an error for one that is not `Bearer <token>`.
pub fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let invalid = || ApiError::token(TokenProblem::Invalid);
    let value = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid());
    }
    Ok(Some(token.trim().to_owned()))
}

/// The answer for a token the verifier refused.
pub fn refused(error: TokenError) -> ApiError {
    match error {
        TokenError::Expired => ApiError::token(TokenProblem::Expired),
        TokenError::Invalid | TokenError::UnknownKey => ApiError::token(TokenProblem::Invalid),
        TokenError::SessionEnded => ApiError::token(TokenProblem::Revoked),
        TokenError::AccountGone => ApiError::AccountGone,
        TokenError::KeysUnavailable(reason) => {
            tracing::warn!(reason, "access tokens cannot be checked");
            ApiError::unavailable("access tokens cannot be checked right now; try again shortly")
        }
    }
}

async fn authenticate(
    verifier: Option<AccessTokens>,
    token: String,
) -> Result<Authenticated, ApiError> {
    let verifier = verifier.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("AccessTokens is not registered in the app"))
    })?;
    let claims = verifier.0.verify(&token).await.map_err(|e| {
        tracing::debug!(reason = %e, "access token refused");
        refused(e)
    })?;
    Ok(Authenticated {
        user_id: claims.sub.clone(),
        claims,
    })
}

fn verifier(req: &HttpRequest) -> Option<AccessTokens> {
    req.app_data::<web::Data<AccessTokens>>()
        .map(|d| d.get_ref().clone())
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = verifier(req);
        let token = bearer_token(req);
        Box::pin(async move {
            let token = token?
                .ok_or_else(|| ApiError::Unauthorized("this route needs an access token".into()))?;
            authenticate(verifier, token).await
        })
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = verifier(req);
        let token = bearer_token(req);
        Box::pin(async move {
            match token? {
                None => Ok(MaybeAuthenticated(None)),
                Some(token) => authenticate(verifier, token)
                    .await
                    .map(|a| MaybeAuthenticated(Some(a))),
            }
        })
    }
}
