//! The second factor: TOTP codes and recovery codes, checked inside the
//! account's own budget of wrong codes (as passwords are, see
//! `credentials`), and recovery codes made and stored as hashes.

use chrono::Utc;
use gridlink_ids::UserId;

use crate::credentials::{self, Attempt, CheckError};
use crate::db::mfa;
use crate::passwords::Verified;
use crate::state::AppState;
use crate::tokens::hash_token;
use crate::totp;

/// How many recovery codes a confirmation hands out.
pub const RECOVERY_CODES: usize = 10;

/// What a user presents as their second factor.
#[derive(Debug, Clone, Copy)]
pub enum Factor<'a> {
    Code(&'a str),
    RecoveryCode(&'a str),
}

/// New recovery codes (shown once) and the hashes to store.
pub fn new_recovery_codes() -> (Vec<String>, Vec<Vec<u8>>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
            let text = totp::base32(&bytes)[..10].to_ascii_lowercase();
            let code = format!("{}-{}", &text[..5], &text[5..]);
            let hash = recovery_hash(&code);
            (code, hash)
        })
        .unzip()
}

/// The stored form of a recovery code, however it was typed (case,
/// dashes and spaces do not matter).
fn recovery_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hash_token(&normal)
}

/// The step a TOTP code of the user's (confirmed or not) secret is for, now.
pub fn code_step(state: &AppState, user: &UserId, secret: &mfa::Totp, code: &str) -> Option<i64> {
    let plain = state.secrets.open(user, &secret.secret_sealed)?;
    totp::matching_step(
        &plain,
        code,
        totp::step_at(Utc::now().timestamp()),
        secret.last_step,
    )
}

/// Checks `factor` for the account whose TOTP is on; a right TOTP code is
/// used up (never accepted again), as is a right recovery code.
pub async fn check(
    state: &AppState,
    user_id: i64,
    user: &UserId,
    factor: Factor<'_>,
) -> Result<bool, CheckError> {
    let attempt = Attempt::second_factor(user);
    let verified = credentials::guarded(&state.db, &state.throttle, &attempt, async {
        let mut conn = state.db.conn().await?;
        let right = match factor {
            Factor::Code(code) => match mfa::find(&mut conn, user_id).await? {
                Some(secret) if secret.confirmed => match code_step(state, user, &secret, code) {
                    Some(step) => mfa::accept_step(&mut conn, user_id, step).await?,
                    None => false,
                },
                _ => false,
            },
            Factor::RecoveryCode(code) => {
                code.len() <= 64
                    && mfa::use_recovery_code(&mut conn, user_id, &recovery_hash(code)).await?
            }
        };
        Ok(if right {
            Verified::Yes { rehash: None }
        } else {
            Verified::No
        })
    })
    .await?;
    Ok(matches!(verified, Verified::Yes { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_distinct_and_typed_any_way_they_match() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(&recovery_hash(code), hash);
            assert_eq!(&recovery_hash(&code.to_uppercase().replace('-', " ")), hash);
        }
    }
}
