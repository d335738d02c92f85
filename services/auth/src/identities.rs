//! The usernames and emails of deleted accounts are held back from new
//! signups for a while (default 30 days), so nobody can take over an old
//! profile URL or receive mail meant for the previous owner. Only an
//! HMAC-SHA256 of each is kept, under `AUTH_IDENTITY_KEY`.

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};

use crate::config::IdentitySettings;

pub struct RetiredIdentities {
    key: hmac::Key,
    hold: chrono::Duration,
}

/// The two digests of an account: its username's, then its email's.
pub struct Digests {
    pub username: Vec<u8>,
    pub email: Vec<u8>,
}

impl Digests {
    pub fn both(&self) -> [Vec<u8>; 2] {
        [self.username.clone(), self.email.clone()]
    }
}

impl RetiredIdentities {
    pub fn new(settings: &IdentitySettings) -> Self {
        let secret = match &settings.key {
            Some(key) => key.expose().as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "AUTH_IDENTITY_KEY is not set: using a development key for the hashes of \
                     retired usernames and emails"
                );
                b"gridlink development identity key".to_vec()
            }
        };
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            hold: chrono::Duration::from_std(settings.hold).unwrap_or(chrono::Duration::days(30)),
        }
    }

    /// `username` in its canonical (lowercase) form; the email in any case.
    pub fn digests(&self, username: &str, email: &str) -> Digests {
        let digest = |kind: &str, value: &str| {
            hmac::sign(&self.key, format!("{kind}:{value}").as_bytes())
                .as_ref()
                .to_vec()
        };
        Digests {
            username: digest("username", &username.to_lowercase()),
            email: digest("email", &email.to_lowercase()),
        }
    }

    /// When a name retired now may be taken again.
    pub fn until(&self) -> DateTime<Utc> {
        Utc::now() + self.hold
    }
}
