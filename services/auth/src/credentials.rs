//! Checking a password someone presents, with the login throttle around it.
//!
//! Used by login, password change and account deletion alike, so a stolen
//! access token cannot brute-force the current password either. The database
//! connection is released while the hash runs.

use std::net::IpAddr;

use chrono::Utc;
use gridlink_problem::ApiError;

use crate::db::throttle::{self, Limit};
use crate::passwords::Verified;
use crate::state::AppState;

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

/// Checks `password` against `stored_hash` (`None`: unknown account). Refuses
/// with 429 while the account or the client is over its failure limit.
pub async fn check(
    state: &AppState,
    attempt: &Attempt,
    stored_hash: Option<String>,
    password: String,
) -> Result<Verified, ApiError> {
    let settings = &state.throttle;
    let window =
        chrono::Duration::from_std(settings.window).unwrap_or(chrono::Duration::minutes(15));
    {
        let mut conn = state.pool.get().await?;
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
            let retry_after_secs = (reopens - Utc::now()).num_seconds().max(1) as u64;
            return Err(ApiError::TooManyRequests {
                detail: "too many failed attempts; try again later".into(),
                retry_after_secs,
            });
        }
    }

    let verified = state.passwords.verify(password, stored_hash).await?;

    // A wrong password is already counted. A right one clears the account's
    // count and gives the client address its attempt back.
    if let Verified::Yes { .. } = &verified {
        let mut conn = state.pool.get().await?;
        throttle::clear(&mut conn, &attempt.account_key).await?;
        if let Some(ip_key) = &attempt.ip_key {
            throttle::refund(&mut conn, ip_key).await?;
        }
    }
    Ok(verified)
}
