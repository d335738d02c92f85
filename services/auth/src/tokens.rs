//! Issuing token pairs: short-lived signed access tokens and opaque refresh
//! tokens, which are shown to the client once and stored only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use gridlink_access_token::Claims;
use gridlink_problem::ApiError;
use uuid::Uuid;

use crate::api::TokenPair;
use crate::config::TokenSettings;
use crate::db::{self, Conn, sessions};
use crate::keys::SigningKeys;

pub struct TokenIssuer {
    pub keys: SigningKeys,
    pub settings: TokenSettings,
}

pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TokenIssuer {
    fn access_token(&self, user_slug: &str) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.settings.audience.issuer.clone(),
            aud: self.settings.audience.audience.clone(),
            sub: user_slug.to_owned(),
            iat: now,
            exp: now + self.settings.access_ttl.as_secs() as i64,
            jti: Uuid::new_v4().to_string(),
        };
        Ok(self.keys.sign(&claims)?)
    }

    fn refresh_expiry(&self) -> chrono::DateTime<Utc> {
        Utc::now() + self.settings.refresh_ttl
    }

    fn pair(&self, user_slug: &str, refresh_token: String) -> Result<TokenPair, ApiError> {
        Ok(TokenPair {
            access_token: self.access_token(user_slug)?,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.settings.access_ttl.as_secs(),
        })
    }

    /// Starts a new session (refresh-token family) for a user who just proved
    /// who they are.
    pub async fn start_session(
        &self,
        conn: &mut Conn,
        user_id: i64,
        user_slug: &str,
    ) -> Result<TokenPair, ApiError> {
        let refresh_token = new_refresh_token();
        sessions::insert(
            conn,
            sessions::NewRefreshToken {
                user_id,
                family_id: Uuid::new_v4(),
                token_hash: hash_refresh_token(&refresh_token),
                expires_at: self.refresh_expiry(),
            },
        )
        .await?;
        self.pair(user_slug, refresh_token)
    }

    /// Exchanges a live refresh token for a new pair. A token that was already
    /// used revokes its family: whoever holds the other copy is logged out too.
    pub async fn rotate(&self, conn: &mut Conn, presented: &str) -> Result<TokenPair, ApiError> {
        let next = new_refresh_token();
        let outcome = db::sessions::rotate(
            conn,
            hash_refresh_token(presented),
            hash_refresh_token(&next),
            self.refresh_expiry(),
        )
        .await?;
        match outcome {
            sessions::Rotation::Rotated { user_slug } => self.pair(&user_slug, next),
            sessions::Rotation::Reused => {
                tracing::warn!(
                    "a used refresh token was presented again; its session family is revoked"
                );
                Err(invalid_refresh())
            }
            sessions::Rotation::Invalid => Err(invalid_refresh()),
        }
    }
}

pub fn invalid_refresh() -> ApiError {
    ApiError::Unauthorized("the refresh token is invalid, expired or revoked".into())
}
