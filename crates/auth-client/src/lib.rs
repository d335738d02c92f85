//! The auth service as other services see it ("remote model"): typed calls to
//! its public keys and internal user routes, and an access-token verifier that
//! caches the JWKS and refetches it when a token names an unknown key.

mod jwks;

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_ids::{UserId, Username};
use gridlink_rest_client::RestClient;
pub use gridlink_rest_client::{ClientError, ClientSettings};
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};

pub use jwks::JwksVerifier;

impl AuthClient {
    /// The underlying client (its settings and retry policy), for the gateway.
    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// A client over an existing [`RestClient`], sharing its connections.
    pub fn with_rest(rest: RestClient) -> Self {
        Self { rest }
    }
}

/// A user as other services may see them (never the email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct UserBatch {
    items: Vec<User>,
}

/// Users per batch call; the auth service accepts at most this many ids.
pub const MAX_BATCH: usize = 100;

#[derive(Clone)]
pub struct AuthClient {
    rest: RestClient,
}

impl AuthClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self {
            rest: RestClient::new("auth", settings),
        }
    }

    /// `AUTH_URL` (default `http://127.0.0.1:8081`), `AUTH_TIMEOUT_MS`, `SERVICE_TOKEN`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(ClientSettings::from_env(
            "AUTH",
            "http://127.0.0.1:8081",
        )?))
    }

    pub async fn jwks(&self) -> Result<JwkSet, ClientError> {
        self.rest.get("/api/v1/auth/jwks.json", &[]).await
    }

    /// The user, or `None` when there is no such (live) user.
    pub async fn user_by_username(&self, username: &Username) -> Result<Option<User>, ClientError> {
        let path = format!(
            "/internal/v1/users/by-username/{}",
            encode_segment(username)
        );
        self.rest.get_optional(&path, &[]).await
    }

    /// The sessions that ended within the last access-token lifetime, for a
    /// verifier catching up (`GET /internal/v1/sessions/revoked`).
    pub async fn revoked_sessions(
        &self,
    ) -> Result<gridlink_access_token::RevocationList, ClientError> {
        self.rest.get("/internal/v1/sessions/revoked", &[]).await
    }

    /// [`AuthClient::revoked_sessions`], as a verifier's source to catch up from.
    pub fn revocation_source(&self) -> gridlink_access_token::RevocationSource {
        let client = self.clone();
        std::sync::Arc::new(move || {
            let client = client.clone();
            Box::pin(async move { client.revoked_sessions().await.map_err(|e| e.to_string()) })
        })
    }

    /// The live users among `ids`, in as few calls as the batch limit allows.
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, ClientError> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BATCH) {
            let joined = chunk
                .iter()
                .map(UserId::as_str)
                .collect::<Vec<_>>()
                .join(",");
            let batch: UserBatch = self
                .rest
                .get("/internal/v1/users", &[("ids", &joined)])
                .await?;
            users.extend(batch.items);
        }
        Ok(users)
    }
}

/// Percent-encodes everything but unreserved characters, so a path segment
/// cannot smuggle `/`, `?` or `..` into the URL.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(super::encode_segment("alice_1"), "alice_1");
        assert_eq!(
            super::encode_segment("../admin?x=1"),
            "%2E%2E%2Fadmin%3Fx%3D1"
        );
    }
}

/// How a service other than auth checks users' access tokens.
#[derive(Clone)]
pub enum TokenVerification {
    /// Against the auth service's JWKS (`AUTH_URL`), with the expected
    /// issuer and audience (`JWT_ISSUER`, `JWT_AUDIENCE`).
    Jwks {
        auth: ClientSettings,
        audience: gridlink_access_token::TokenAudience,
    },
    /// With a verifier the caller made (tests sign their own tokens).
    Fixed(std::sync::Arc<dyn gridlink_access_token::VerifyAccessToken>),
}

impl std::fmt::Debug for TokenVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Jwks { auth, audience } => f
                .debug_struct("Jwks")
                .field("auth", &auth.base_url)
                .field("audience", audience)
                .finish(),
            Self::Fixed(_) => f.write_str("Fixed"),
        }
    }
}

impl TokenVerification {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::Jwks {
            auth: ClientSettings::from_env("AUTH", "http://127.0.0.1:8081")?,
            audience: gridlink_access_token::TokenAudience::from_env(),
        })
    }

    /// Where a verifier catches up on ended sessions: the auth service's list
    /// (`None` for a test's own verifier).
    pub fn revocation_source(&self) -> Option<gridlink_access_token::RevocationSource> {
        match self {
            Self::Jwks { auth, .. } => Some(AuthClient::new(auth.clone()).revocation_source()),
            Self::Fixed(_) => None,
        }
    }

    pub fn verifier(&self) -> std::sync::Arc<dyn gridlink_access_token::VerifyAccessToken> {
        match self {
            Self::Jwks { auth, audience } => std::sync::Arc::new(JwksVerifier::new(
                AuthClient::new(auth.clone()),
                &audience.issuer,
                &audience.audience,
            )),
            Self::Fixed(verifier) => verifier.clone(),
        }
    }
}
