//! Access tokens: the claims every service agrees on, and their verification.
//!
//! Tokens are EdDSA (Ed25519) JWTs with `typ: at+jwt` (RFC 9068) and a `kid`
//! naming the public key in the auth service's JWKS. Verification pins the
//! algorithm, requires the type, the issuer, the audience, an unexpired `exp`,
//! `iat`, `sub` and `jti`, and honours `nbf`. Anything the header offers about
//! where to find keys (`jku`, `x5u`, `jwk`) is ignored: keys come only from the
//! verifier's own set.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{BoxFuture, LocalBoxFuture};
use gridlink_problem::ApiError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

pub const TOKEN_TYPE: &str = "at+jwt";

/// Who issues access tokens and for whom: `JWT_ISSUER` (default
/// `gridlink-auth`) and `JWT_AUDIENCE` (default `gridlink`). The issuer signs
/// with these values and every verifier insists on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAudience {
    pub issuer: String,
    pub audience: String,
}

impl TokenAudience {
    pub fn from_env() -> Self {
        Self {
            issuer: gridlink_config::string("JWT_ISSUER", "gridlink-auth"),
            audience: gridlink_config::string("JWT_AUDIENCE", "gridlink"),
        }
    }
}
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user's public id (`us_...`).
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a valid access token")]
    Invalid,
    #[error("the token is signed with an unknown key")]
    UnknownKey,
}

/// Checks tokens against a fixed set of public keys.
pub struct KeySetVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl KeySetVerifier {
    /// Keeps the Ed25519 keys of `jwks` that carry a `kid`.
    pub fn new(jwks: &JwkSet, issuer: &str, audience: &str) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some((kid, key))
            })
            .collect();
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self { keys, validation }
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != ALGORITHM
            || !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(TOKEN_TYPE))
        {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

/// Anything that can verify an access token: a fixed key set (the auth service
/// itself) or a JWKS cache that refetches on an unknown key (everyone else).
pub trait VerifyAccessToken: Send + Sync {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Claims, TokenError>>;
}

impl VerifyAccessToken for KeySetVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Claims, TokenError>> {
        Box::pin(async move { KeySetVerifier::verify(self, token) })
    }
}

/// The verifier handlers' extractors use; register as `web::Data<AccessTokens>`.
#[derive(Clone)]
pub struct AccessTokens(pub Arc<dyn VerifyAccessToken>);

/// The authenticated user of a request. Handlers that take it refuse requests
/// without a valid access token with 401.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: String,
    pub claims: Claims,
}

/// Like [`Authenticated`], but absent instead of refused when no token is sent
/// (public reads that show more to the owner). A token that is sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Authenticated>);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid());
    }
    Ok(Some(token.trim().to_owned()))
}

fn invalid() -> ApiError {
    ApiError::Unauthorized("the access token is missing, invalid or expired".into())
}

async fn authenticate(
    verifier: Option<AccessTokens>,
    token: String,
) -> Result<Authenticated, ApiError> {
    let verifier = verifier.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("AccessTokens is not registered in the app"))
    })?;
    match verifier.0.verify(&token).await {
        Ok(claims) => Ok(Authenticated {
            user_id: claims.sub.clone(),
            claims,
        }),
        Err(e) => {
            tracing::debug!(reason = %e, "access token refused");
            Err(invalid())
        }
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req
            .app_data::<web::Data<AccessTokens>>()
            .map(|d| d.get_ref().clone());
        let token = bearer(req);
        Box::pin(async move {
            let token = token?.ok_or_else(invalid)?;
            authenticate(verifier, token).await
        })
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req
            .app_data::<web::Data<AccessTokens>>()
            .map(|d| d.get_ref().clone());
        let token = bearer(req);
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
