//! Issuing token pairs: short-lived signed access tokens and opaque refresh
//! tokens, which are shown to the client once and stored only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use gridlink_access_token::{Claims, KeyError, SigningKeys};
use gridlink_db::DbError;
use gridlink_ids::UserId;
use uuid::Uuid;

use crate::api::TokenPair;
use crate::config::TokenSettings;
use crate::db::{self, Conn, sessions};

pub struct TokenIssuer {
    pub keys: SigningKeys,
    pub settings: TokenSettings,
}

/// Why a token pair could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The refresh token is unknown, expired, revoked or already used.
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefresh,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Sign(#[from] KeyError),
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
    fn access_token(&self, user: &UserId) -> Result<String, KeyError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.settings.audience.issuer.clone(),
            aud: self.settings.audience.audience.clone(),
            sub: user.clone(),
            iat: now,
            exp: now + self.settings.access_ttl.as_secs() as i64,
            jti: Uuid::new_v4().to_string(),
        };
        self.keys.sign(&claims)
    }

    fn refresh_expiry(&self) -> chrono::DateTime<Utc> {
        Utc::now() + self.settings.refresh_ttl
    }

    fn pair(&self, user: &UserId, refresh_token: String) -> Result<TokenPair, KeyError> {
        Ok(TokenPair {
            access_token: self.access_token(user)?,
            refresh_token,
            token_type: crate::api::TokenType::Bearer,
            expires_in: self.settings.access_ttl.as_secs(),
        })
    }

    /// Starts a new session (refresh-token family) for a user who just proved
    /// who they are.
    pub async fn start_session(
        &self,
        conn: &mut Conn,
        user_id: i64,
        user: &UserId,
    ) -> Result<TokenPair, SessionError> {
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
        Ok(self.pair(user, refresh_token)?)
    }

    /// Exchanges a live refresh token for a new pair. A token that was already
    /// used revokes its family: whoever holds the other copy is logged out too.
    pub async fn rotate(
        &self,
        conn: &mut Conn,
        presented: &str,
    ) -> Result<TokenPair, SessionError> {
        let next = new_refresh_token();
        let outcome = db::sessions::rotate(
            conn,
            hash_refresh_token(presented),
            hash_refresh_token(&next),
            self.refresh_expiry(),
        )
        .await?;
        match outcome {
            sessions::Rotation::Rotated { user } => Ok(self.pair(&user, next)?),
            sessions::Rotation::Reused => {
                tracing::warn!(
                    "a used refresh token was presented again; its session family is revoked"
                );
                Err(SessionError::InvalidRefresh)
            }
            sessions::Rotation::Invalid => Err(SessionError::InvalidRefresh),
        }
    }
}
