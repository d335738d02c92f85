//! Password hashing with argon2id, kept off the async workers.
//!
//! Each hash holds `memory_kib` of memory for tens of milliseconds, so hashes
//! run on blocking threads behind a semaphore: a login flood queues (and after
//! `queue_timeout` is told 503) instead of exhausting memory or starving the
//! other routes. A login for an unknown user verifies against a dummy hash with
//! the same parameters, so it costs the same time as a wrong password.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use gridlink_problem::ApiError;
use tokio::sync::Semaphore;

use crate::config::HashSettings;

pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    queue_timeout: std::time::Duration,
    dummy_hash: String,
}

/// The outcome of checking a password.
pub enum Verified {
    /// Correct; `rehash` holds a new hash when the stored one used other parameters.
    Yes {
        rehash: Option<String>,
    },
    No,
}

impl Passwords {
    pub fn new(settings: &HashSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let dummy_hash = hash_blocking(&params, b"gridlink-dummy-password-for-unknown-users")?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            queue_timeout: settings.queue_timeout,
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.run(move || hash_blocking(&params, password.as_bytes()))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is
    /// no stored hash (unknown user), which always answers `No`.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Verified, ApiError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let params = self.params.clone();
        let verified = self
            .run(move || verify_blocking(&params, &password, &stored))
            .await??;
        Ok(if known { verified } else { Verified::No })
    }

    async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::Unavailable {
                detail: "too many password checks in progress, try again shortly".into(),
                retry_after_secs: Some(1),
            })?
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("hashing semaphore closed")))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing task failed: {e}")))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &[u8]) -> anyhow::Result<String> {
    argon2(params)
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot hash a password")
}

fn verify_blocking(params: &Params, password: &str, stored: &str) -> Result<Verified, ApiError> {
    let parsed = PasswordHash::new(stored).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored password hash is unreadable: {e}"))
    })?;
    if argon2(params)
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Ok(Verified::No);
    }
    let current = Params::try_from(&parsed).ok();
    let outdated = parsed.algorithm.as_str() != "argon2id"
        || current.is_none_or(|p| {
            p.m_cost() != params.m_cost()
                || p.t_cost() != params.t_cost()
                || p.p_cost() != params.p_cost()
        });
    let rehash = if outdated {
        Some(hash_blocking(params, password.as_bytes()).map_err(ApiError::Internal)?)
    } else {
        None
    };
    Ok(Verified::Yes { rehash })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MIN_MEMORY_KIB;

    fn settings(memory_kib: u32) -> HashSettings {
        HashSettings {
            memory_kib,
            iterations: 2,
            parallelism: 1,
            max_concurrent: 2,
            queue_timeout: std::time::Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let passwords = Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap();
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let ok = passwords
            .verify("correct horse battery".into(), Some(hash.clone()))
            .await
            .unwrap();
        assert!(matches!(ok, Verified::Yes { rehash: None }));
        let wrong = passwords
            .verify("correct horse battery!".into(), Some(hash))
            .await
            .unwrap();
        assert!(matches!(wrong, Verified::No));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let passwords = Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap();
        let result = passwords
            .verify("gridlink-dummy-password-for-unknown-users".into(), None)
            .await
            .unwrap();
        assert!(matches!(result, Verified::No));
    }

    #[tokio::test]
    async fn a_hash_with_old_parameters_is_rehashed_on_success() {
        let old = Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap();
        let hash = old.hash("correct horse battery".into()).await.unwrap();
        let newer = Passwords::new(&settings(MIN_MEMORY_KIB * 2)).unwrap();
        match newer
            .verify("correct horse battery".into(), Some(hash))
            .await
            .unwrap()
        {
            Verified::Yes {
                rehash: Some(new_hash),
            } => {
                assert!(new_hash.contains("m=38912"), "{new_hash}")
            }
            _ => panic!("expected a rehash"),
        }
    }
}
