//! Access tokens: the claims every service agrees on, and their verification.
//!
//! Tokens are EdDSA (Ed25519) JWTs with `typ: at+jwt` (RFC 9068) and a `kid`
//! naming the public key in the auth service's JWKS. Verification pins the
//! algorithm, requires the type, the issuer, the audience, an unexpired `exp`,
//! `iat`, `sub`, `sid` and `jti`, and honours `nbf`. Anything the header offers about
//! where to find keys (`jku`, `x5u`, `jwk`) is ignored: keys come only from the
//! verifier's own set.
//!
//! This crate knows nothing of HTTP: the request extractors that use a
//! verifier live in `gridlink-http`.

mod revocations;
mod signing;

pub use revocations::{
    MAX_TTL_SECS, Revocation, RevocationList, RevocationSource, Revocations, Revoking,
};
pub use signing::{KeyError, SigningKeys, generate_pem};

use std::collections::HashMap;

use futures_util::future::BoxFuture;
use gridlink_ids::{SessionId, UserId};
use jsonwebtoken::errors::ErrorKind;
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
    /// The user's public id.
    pub sub: UserId,
    /// The sign-in session the token belongs to: ending the session ends
    /// the token (see [`Revocations`]).
    pub sid: SessionId,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a valid access token")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token is signed with an unknown key")]
    UnknownKey,
    /// Its session was ended (logout, revocation, password change).
    #[error("the token's session has ended")]
    SessionEnded,
    /// Its user's account was deleted.
    #[error("the token's account is gone")]
    AccountGone,
    /// The keys could not be fetched to check it: a dependency failure, not
    /// the token's fault.
    #[error("the public keys are unavailable: {0}")]
    KeysUnavailable(String),
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
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
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
