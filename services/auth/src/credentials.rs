//! Checking a password someone presents, with the login throttle around it.
//!
//! Used by login, password change and account deletion alike, so a stolen
//! access token cannot brute-force the current password either. The database
//! connection is released while the hash runs.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use gridlink_db::{Database, DbError};

use crate::config::ThrottleSettings;
use crate::db::throttle::{self, Limit};
use crate::passwords::{HashError, Passwords, Verified};

/// What the throttle counts a login attempt against.
pub struct Attempt {
    /// `user:<id>` for a known account, `login:<name>` for an unknown one, so
    /// unknown and known accounts are throttled alike.
    pub account_key: String,
    pub ip_key: Option<String>,
}

impl Attempt {
    pub fn new(account_key: String, ip: Option<IpAddr>) -> Self {
        Self {
            account_key,
            ip_key: ip.map(|ip| format!("ip:{ip}")),
        }
    }
}

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The account or the client is over its failure limit until `reopens`.
    #[error("too many failed attempts; try again later")]
    Throttled { reopens: DateTime<Utc> },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CheckError {
    pub fn retry_after_secs(reopens: DateTime<Utc>) -> u64 {
        (reopens - Utc::now()).num_seconds().max(1) as u64
    }
}

/// Checks `password` against `stored_hash` (`None`: unknown account). Refuses
/// while the account or the client is over its failure limit.
pub async fn check(
    database: &Database,
    passwords: &Passwords,
    settings: &ThrottleSettings,
    attempt: &Attempt,
    stored_hash: Option<String>,
    password: String,
) -> Result<Verified, CheckError> {
    let window =
        chrono::Duration::from_std(settings.window).unwrap_or(chrono::Duration::minutes(15));
    {
        let mut conn = database.conn().await?;
        let mut limits = vec![Limit {
            key: &attempt.account_key,
            max_failures: settings.max_failures_per_account,
        }];
        if let Some(ip_key) = &attempt.ip_key {
            limits.push(Limit {
                key: ip_key,
                max_failures: settings.max_failures_per_ip,
            });
        }
        if let Some(reopens) = throttle::spend(&mut conn, &limits, window).await? {
            return Err(CheckError::Throttled { reopens });
        }
    }

    let verified = passwords.verify(password, stored_hash).await?;

    // A wrong password is already counted. A right one clears the account's
    // count and gives the client address its attempt back.
    if let Verified::Yes { .. } = &verified {
        let mut conn = database.conn().await?;
        throttle::clear(&mut conn, &attempt.account_key).await?;
        if let Some(ip_key) = &attempt.ip_key {
            throttle::refund(&mut conn, ip_key).await?;
        }
    }
    Ok(verified)
}
