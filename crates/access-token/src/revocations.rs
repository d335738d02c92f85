//! Sessions that ended before their access tokens expire.
//!
//! An access token is valid until its `exp` (at most [`MAX_TTL_SECS`]), but a
//! logout, a revoked session, a password change or a deleted account must end
//! it at once. Every verifier keeps the revocations of the last token
//! lifetime in memory ([`Revocations`]) and refuses the tokens they name
//! ([`Revoking`]). How revocations reach a verifier (events, a snapshot from
//! the auth service) is its owner's business; this module only holds and
//! applies them. An entry is forgotten once every token it could name has
//! expired.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use gridlink_ids::{SessionId, UserId};
use serde::{Deserialize, Serialize};

use crate::{Claims, TokenError, VerifyAccessToken};

/// The longest an access token may live; the issuer refuses longer settings.
pub const MAX_TTL_SECS: i64 = 900;

/// How long a revocation must be remembered: a token issued just before it
/// lives [`MAX_TTL_SECS`], plus the verifiers' clock leeway.
const REMEMBER_SECS: i64 = MAX_TTL_SECS + 60;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One revocation: a session, or (without `sid`) every session of a user
/// whose account is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    pub user_id: UserId,
    /// The session that ended; absent when the account itself is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
    /// When, in Unix seconds.
    pub revoked_at: i64,
}

/// The revocations of the last token lifetime, as the auth service lists
/// them for a verifier that (re)starts following.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationList {
    pub items: Vec<Revocation>,
}

/// Reads the revocations of the last access-token lifetime from their source
/// (the auth service's list, or its own database for auth itself).
pub type RevocationSource =
    Arc<dyn Fn() -> BoxFuture<'static, Result<RevocationList, String>> + Send + Sync>;

#[derive(Default)]
struct Entries {
    /// Ended sessions, with when they may be forgotten.
    sessions: HashMap<SessionId, i64>,
    /// Users whose account is gone, with when they may be forgotten.
    users: HashMap<UserId, i64>,
}

/// The revocations a verifier knows of.
#[derive(Default)]
pub struct Revocations {
    entries: RwLock<Entries>,
}

impl Revocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `revocation` (again: applying one twice changes nothing).
    pub fn apply(&self, revocation: &Revocation) {
        let forget_at = revocation.revoked_at + REMEMBER_SECS;
        let now = unix_now();
        if forget_at <= now {
            return;
        }
        let mut entries = self.entries.write().expect("never poisoned");
        match &revocation.sid {
            Some(sid) => {
                entries.sessions.insert(sid.clone(), forget_at);
            }
            None => {
                entries.users.insert(revocation.user_id.clone(), forget_at);
            }
        }
        entries.sessions.retain(|_, at| *at > now);
        entries.users.retain(|_, at| *at > now);
    }

    pub fn apply_all(&self, list: &RevocationList) {
        for revocation in &list.items {
            self.apply(revocation);
        }
    }

    /// Refuses a token whose session ended or whose account is gone.
    pub fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        let entries = self.entries.read().expect("never poisoned");
        if entries.users.contains_key(&claims.sub) {
            Err(TokenError::AccountGone)
        } else if entries.sessions.contains_key(&claims.sid) {
            Err(TokenError::SessionEnded)
        } else {
            Ok(())
        }
    }

    /// Sessions and users remembered right now.
    pub fn len(&self) -> usize {
        let entries = self.entries.read().expect("never poisoned");
        entries.sessions.len() + entries.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A verifier that also refuses the tokens of revoked sessions.
pub struct Revoking {
    inner: Arc<dyn VerifyAccessToken>,
    revocations: Arc<Revocations>,
}

impl Revoking {
    pub fn new(inner: Arc<dyn VerifyAccessToken>, revocations: Arc<Revocations>) -> Self {
        Self { inner, revocations }
    }
}

impl VerifyAccessToken for Revoking {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Claims, TokenError>> {
        Box::pin(async move {
            let claims = self.inner.verify(token).await?;
            self.revocations.check(&claims)?;
            Ok(claims)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(user: &UserId, sid: &SessionId) -> Claims {
        let now = unix_now();
        Claims {
            iss: "i".into(),
            aud: "a".into(),
            sub: user.clone(),
            sid: sid.clone(),
            exp: now + 60,
            iat: now,
            jti: "j".into(),
        }
    }

    #[test]
    fn a_revoked_session_or_a_gone_account_is_refused_and_others_are_not() {
        let revocations = Revocations::new();
        let (alice, bob) = (UserId::generate(), UserId::generate());
        let (phone, laptop) = (SessionId::generate(), SessionId::generate());
        let now = unix_now();
        revocations.apply(&Revocation {
            user_id: alice.clone(),
            sid: Some(phone.clone()),
            revoked_at: now,
        });
        assert_eq!(
            revocations.check(&claims(&alice, &phone)),
            Err(TokenError::SessionEnded)
        );
        assert_eq!(revocations.check(&claims(&alice, &laptop)), Ok(()));
        revocations.apply(&Revocation {
            user_id: bob.clone(),
            sid: None,
            revoked_at: now,
        });
        assert_eq!(
            revocations.check(&claims(&bob, &laptop)),
            Err(TokenError::AccountGone)
        );
    }

    #[test]
    fn revocations_older_than_any_token_are_forgotten() {
        let revocations = Revocations::new();
        let now = unix_now();
        revocations.apply(&Revocation {
            user_id: UserId::generate(),
            sid: Some(SessionId::generate()),
            revoked_at: now - REMEMBER_SECS - 1,
        });
        assert!(revocations.is_empty());
        revocations.apply(&Revocation {
            user_id: UserId::generate(),
            sid: Some(SessionId::generate()),
            revoked_at: now,
        });
        assert_eq!(revocations.len(), 1);
    }
}
