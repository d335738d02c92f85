//! Issuing token pairs: short-lived signed access tokens naming their session
//! (`sid`), and opaque refresh tokens, shown to the client once and stored
//! only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use gridlink_access_token::{Claims, KeyError, SigningKeys};
use gridlink_db::DbError;
use gridlink_ids::{SessionId, UserId};
use uuid::Uuid;

use crate::api::TokenPair;
use crate::config::TokenSettings;
use crate::db::sessions::{self, NewRefresh, NewSession};
use crate::db::{Conn, devices};

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
    /// The access token's session ended meanwhile.
    #[error("this session has ended; log in again")]
    Ended,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Sign(#[from] KeyError),
}

/// The SHA-256 under which a refresh or device token is stored.
pub fn hash_token(token: &str) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

pub(crate) fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

fn chrono(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(30))
}

/// Who a new session is for and from where.
pub struct Holder<'a> {
    pub user_id: i64,
    pub user: &'a UserId,
    /// A summary of the client ("Firefox on Linux").
    pub client: &'a str,
}

impl TokenIssuer {
    fn access_token(&self, user: &UserId, sid: &SessionId) -> Result<String, KeyError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.settings.audience.issuer.clone(),
            aud: self.settings.audience.audience.clone(),
            sub: user.clone(),
            sid: sid.clone(),
            iat: now,
            exp: now + self.settings.access_ttl.as_secs() as i64,
            jti: Uuid::new_v4().to_string(),
        };
        self.keys.sign(&claims)
    }

    fn new_refresh(&self) -> (String, NewRefresh) {
        let token = new_opaque_token();
        let refresh = NewRefresh {
            hash: hash_token(&token),
            expires_at: Utc::now() + chrono(self.settings.refresh_ttl),
        };
        (token, refresh)
    }

    fn pair(
        &self,
        user: &UserId,
        sid: &SessionId,
        refresh_token: String,
    ) -> Result<TokenPair, KeyError> {
        Ok(TokenPair {
            access_token: self.access_token(user, sid)?,
            refresh_token,
            token_type: crate::api::TokenType::Bearer,
            expires_in: self.settings.access_ttl.as_secs(),
        })
    }

    /// Starts a session for a user who just proved who they are; the user's
    /// oldest sessions beyond the cap end.
    pub async fn start_session(
        &self,
        conn: &mut Conn,
        holder: Holder<'_>,
    ) -> Result<TokenPair, SessionError> {
        let (token, refresh) = self.new_refresh();
        let new = NewSession {
            user_id: holder.user_id,
            user: holder.user,
            client: holder.client,
            expires_at: Utc::now() + chrono(self.settings.session_max_age),
            refresh,
            max_live: self.settings.max_sessions,
        };
        let sid = sessions::start(conn, new).await?;
        Ok(self.pair(holder.user, &sid, token)?)
    }

    /// Exchanges a live refresh token for a new pair. A token that was already
    /// used ends its session: whoever holds the other copy is logged out too.
    pub async fn rotate(
        &self,
        conn: &mut Conn,
        presented: &str,
    ) -> Result<TokenPair, SessionError> {
        let (token, refresh) = self.new_refresh();
        let outcome = sessions::rotate(
            conn,
            hash_token(presented),
            refresh.hash,
            chrono(self.settings.refresh_ttl),
        )
        .await?;
        match outcome {
            sessions::Rotation::Rotated { user, session } => Ok(self.pair(&user, &session, token)?),
            sessions::Rotation::Reused => {
                tracing::warn!("a used refresh token was presented again; its session is ended");
                Err(SessionError::InvalidRefresh)
            }
            sessions::Rotation::Invalid => Err(SessionError::InvalidRefresh),
        }
    }

    /// New tokens for the caller's own session after a password change; the
    /// user's other sessions end.
    pub async fn renew_ending_others(
        &self,
        conn: &mut Conn,
        user_id: i64,
        user: &UserId,
        sid: &SessionId,
    ) -> Result<TokenPair, SessionError> {
        let (token, refresh) = self.new_refresh();
        if !sessions::renew_and_end_others(conn, user_id, user, sid, refresh).await? {
            return Err(SessionError::Ended);
        }
        Ok(self.pair(user, sid, token)?)
    }

    /// A new device token for the user (replacing the one presented, if it
    /// was theirs).
    pub async fn device_token(
        &self,
        conn: &mut Conn,
        user_id: i64,
        replaces: Option<i64>,
    ) -> Result<String, SessionError> {
        let token = new_opaque_token();
        let expires_at = Utc::now() + chrono(self.settings.device_ttl);
        devices::register(conn, user_id, &hash_token(&token), expires_at, replaces).await?;
        Ok(token)
    }
}
