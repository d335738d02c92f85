//! Checking a password someone presents, with the throttle around it.
//!
//! The counters are chosen so that nobody can spend someone else's:
//! - a login counts against the account *from this address*, the account
//!   overall (which bounds a guess spread over many addresses), and the
//!   address (only its failures: right passwords never spend it);
//! - a login from a device that signed in before counts against that
//!   device alone, so strangers guessing cannot lock its owner out;
//! - a signed-in user confirming their password (password change, account
//!   deletion) counts against that user's own re-authentication budget.
//!
//! A refused (429) attempt counts nothing, and a right password gives back
//! what it reserved. The database connection is released while hashing.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use gridlink_db::{Database, DbError};
use gridlink_ids::UserId;

use crate::config::ThrottleSettings;
use crate::db::throttle::{self, Limit};
use crate::passwords::{HashError, Passwords, Verified};

/// The budgets a password check can spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// One account from one client address.
    AccountFromAddress,
    /// One account from anywhere: the bound on a distributed guess.
    Account,
    /// One client address, whatever the account.
    Address,
    /// One device that signed in to the account before.
    Device,
    /// A signed-in user confirming their password.
    Reauthentication,
    /// One account's second factor (TOTP or recovery codes).
    SecondFactor,
}

impl Budget {
    /// What a refused client is told.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::AccountFromAddress => {
                "too many failed logins for this account from your address; try again later"
            }
            Self::Account => {
                "too many failed logins for this account; sign in from a device you used \
                 before, or try again later"
            }
            Self::Address => "too many failed logins from your address; try again later",
            Self::Device => "too many failed logins from this device; try again later",
            Self::Reauthentication => "too many wrong passwords; try again later",
            Self::SecondFactor => "too many wrong codes; try again later",
        }
    }

    /// Reserved before the check (and refunded when right) where the bound
    /// must hold in parallel; counted after a failure otherwise.
    fn reserved(self) -> bool {
        !matches!(self, Self::Address)
    }

    /// A right password forgets the counter (it was its owner), or only
    /// gives its reservation back (a shared counter).
    fn cleared_by_success(self) -> bool {
        matches!(
            self,
            Self::AccountFromAddress | Self::Device | Self::Reauthentication | Self::SecondFactor
        )
    }
}

/// One counter an attempt spends.
#[derive(Debug, Clone)]
struct Counter {
    key: String,
    budget: Budget,
}

/// What the throttle counts a password check against.
#[derive(Debug, Clone)]
pub struct Attempt {
    counters: Vec<Counter>,
}

impl Attempt {
    /// A login to `account` (`user:<id>` for a known account, `login:<name>`
    /// for an unknown one, so both are throttled alike) from `ip`.
    pub fn login(account: &str, ip: Option<IpAddr>) -> Self {
        let address = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        let mut counters = vec![
            Counter {
                key: format!("account-address:{account}|{address}"),
                budget: Budget::AccountFromAddress,
            },
            Counter {
                key: format!("account:{account}"),
                budget: Budget::Account,
            },
        ];
        if let Some(ip) = ip {
            counters.push(Counter {
                key: format!("address:{ip}"),
                budget: Budget::Address,
            });
        }
        Self { counters }
    }

    /// A login presenting the token of a device the account signed in from.
    pub fn device_login(device: i64) -> Self {
        Self {
            counters: vec![Counter {
                key: format!("device:{device}"),
                budget: Budget::Device,
            }],
        }
    }

    /// A code presented as an account's second factor.
    pub fn second_factor(user: &UserId) -> Self {
        Self {
            counters: vec![Counter {
                key: format!("second-factor:{user}"),
                budget: Budget::SecondFactor,
            }],
        }
    }

    /// A signed-in user confirming their password.
    pub fn reauthentication(user: &UserId) -> Self {
        Self {
            counters: vec![Counter {
                key: format!("reauth:{user}"),
                budget: Budget::Reauthentication,
            }],
        }
    }
}

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A budget is spent until `reopens`.
    #[error("{}", budget.refusal())]
    Throttled {
        budget: Budget,
        reopens: DateTime<Utc>,
    },
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

impl ThrottleSettings {
    fn limit<'a>(&self, counter: &'a Counter) -> Limit<'a> {
        let (max_failures, window) = match counter.budget {
            Budget::AccountFromAddress => (self.max_failures_per_account_address, self.window),
            Budget::Account => (self.max_failures_per_account, self.account_window),
            Budget::Address => (self.max_failures_per_ip, self.window),
            Budget::Device => (self.max_failures_per_device, self.window),
            Budget::Reauthentication => (self.max_failures_reauthentication, self.window),
            Budget::SecondFactor => (self.max_failures_per_account_address, self.window),
        };
        Limit {
            key: &counter.key,
            max_failures,
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(15)),
        }
    }
}

/// Checks `password` against `stored_hash` (`None`: unknown account). Refuses
/// while any of the attempt's budgets is spent.
pub async fn check(
    database: &Database,
    passwords: &Passwords,
    settings: &ThrottleSettings,
    attempt: &Attempt,
    stored_hash: Option<String>,
    password: String,
) -> Result<Verified, CheckError> {
    guarded(database, settings, attempt, async {
        Ok(passwords.verify(password, stored_hash).await?)
    })
    .await
}

/// Runs `verify` (a check of something secret the caller presented) inside
/// the attempt's budgets, as [`check`] does for passwords.
pub async fn guarded(
    database: &Database,
    settings: &ThrottleSettings,
    attempt: &Attempt,
    verify: impl Future<Output = Result<Verified, CheckError>>,
) -> Result<Verified, CheckError> {
    let budget_of = |key: &str| {
        attempt
            .counters
            .iter()
            .find(|c| c.key == key)
            .map_or(Budget::Account, |c| c.budget)
    };
    {
        let mut conn = database.conn().await?;
        for counter in attempt.counters.iter().filter(|c| !c.budget.reserved()) {
            if let Some(spent) = throttle::spent(&mut conn, &settings.limit(counter)).await? {
                return Err(CheckError::Throttled {
                    budget: counter.budget,
                    reopens: spent.reopens,
                });
            }
        }
        let reserved: Vec<Limit<'_>> = attempt
            .counters
            .iter()
            .filter(|c| c.budget.reserved())
            .map(|c| settings.limit(c))
            .collect();
        if let Some(spent) = throttle::reserve(&mut conn, &reserved).await? {
            return Err(CheckError::Throttled {
                budget: budget_of(&spent.key),
                reopens: spent.reopens,
            });
        }
    }

    let verified = verify.await?;

    let mut conn = database.conn().await?;
    for counter in &attempt.counters {
        match (&verified, counter.budget.reserved()) {
            (Verified::Yes { .. }, _) if counter.budget.cleared_by_success() => {
                throttle::clear(&mut conn, &counter.key).await?
            }
            (Verified::Yes { .. }, true) => throttle::refund(&mut conn, &counter.key).await?,
            (Verified::Yes { .. }, false) => {}
            (Verified::No, true) => {} // already counted
            (Verified::No, false) => throttle::count(&mut conn, &settings.limit(counter)).await?,
        }
    }
    Ok(verified)
}
