//! Password hashing with argon2id, kept off the async workers and within a
//! fixed memory budget.
//!
//! Each hash needs `memory_kib` of working memory for tens of milliseconds.
//! Hashes run on blocking threads behind a semaphore (`max_concurrent` at
//! once; a request waits at most `queue_timeout` for a slot, then gets 503),
//! and they hash into a small pool of reusable block buffers, one per slot,
//! so a login flood neither starves the other routes nor grows the heap (the
//! allocator would otherwise keep every freed 19 MiB buffer per thread).
//! A login for an unknown user verifies against a dummy hash with the same
//! parameters, so it costs the same time as a wrong password.
//!
//! Hashes are PHC strings: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`.

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use tokio::sync::Semaphore;

use crate::config::HashSettings;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed busy for the whole queue timeout.
    #[error("too many password checks in progress, try again shortly")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    queue_timeout: std::time::Duration,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
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

/// A parsed PHC string of ours.
struct Phc {
    params: Params,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

fn parse(stored: &str) -> Option<Phc> {
    let mut parts = stored.split('$');
    let (empty, algorithm, version, params, salt, hash) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if !empty.is_empty() || algorithm != "argon2id" || version != "v=19" || parts.next().is_some() {
        return None;
    }
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for pair in params.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match key {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    Some(Phc {
        params: Params::new(m?, t?, p?, None).ok()?,
        salt: B64.decode(salt).ok()?,
        hash: B64.decode(hash).ok()?,
    })
}

fn format(params: &Params, salt: &[u8], hash: &[u8]) -> String {
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        B64.encode(salt),
        B64.encode(hash)
    )
}

/// Hashes into a pooled buffer when it fits, else a fresh one (a stored hash
/// with other parameters, verified once before it is rehashed).
fn compute(
    buffers: &Mutex<Vec<Vec<Block>>>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
) -> anyhow::Result<[u8; HASH_LEN]> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let blocks = params.block_count();
    let mut buffer = buffers
        .lock()
        .expect("buffer pool lock is never poisoned")
        .pop()
        .filter(|b| b.len() == blocks)
        .unwrap_or_else(|| vec![Block::default(); blocks]);
    let mut out = [0u8; HASH_LEN];
    let result = argon2.hash_password_into_with_memory(password, salt, &mut out, &mut buffer[..]);
    buffers
        .lock()
        .expect("buffer pool lock is never poisoned")
        .push(buffer);
    result.map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))?;
    Ok(out)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

fn new_hash(
    buffers: &Mutex<Vec<Vec<Block>>>,
    params: &Params,
    password: &[u8],
) -> anyhow::Result<String> {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| anyhow::anyhow!("no system randomness"))?;
    let hash = compute(buffers, params, password, &salt)?;
    Ok(format(params, &salt, &hash))
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
        let buffers = Arc::new(Mutex::new(Vec::new()));
        let dummy_hash = new_hash(
            &buffers,
            &params,
            b"gridlink-dummy-password-for-unknown-users",
        )?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            queue_timeout: settings.queue_timeout,
            buffers,
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let (params, buffers) = (self.params.clone(), self.buffers.clone());
        Ok(self
            .run(move || new_hash(&buffers, &params, password.as_bytes()))
            .await??)
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is
    /// no stored hash (unknown user), which always answers `No`.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Verified, HashError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let (params, buffers) = (self.params.clone(), self.buffers.clone());
        let verified = self
            .run(move || -> anyhow::Result<Verified> {
                let phc = parse(&stored)
                    .ok_or_else(|| anyhow::anyhow!("stored password hash is unreadable"))?;
                let computed = compute(&buffers, &phc.params, password.as_bytes(), &phc.salt)?;
                if !same(&computed, &phc.hash) {
                    return Ok(Verified::No);
                }
                let current = phc.params.m_cost() == params.m_cost()
                    && phc.params.t_cost() == params.t_cost()
                    && phc.params.p_cost() == params.p_cost();
                let rehash = if current {
                    None
                } else {
                    Some(new_hash(&buffers, &params, password.as_bytes())?)
                };
                Ok(Verified::Yes { rehash })
            })
            .await??;
        Ok(if known { verified } else { Verified::No })
    }

    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| anyhow::anyhow!("hashing semaphore closed"))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| HashError::Failed(anyhow::anyhow!("hashing task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MIN_MEMORY_KIB;
    use argon2::password_hash::PasswordVerifier;

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
    async fn hashes_are_standard_argon2id_phc_strings_that_verify() {
        let passwords = Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap();
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        // Interoperable: the reference implementation accepts it.
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", hash.as_str())
                .is_ok()
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
    async fn hashes_made_by_the_reference_implementation_verify() {
        use argon2::password_hash::PasswordHasher;
        let reference = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        let passwords = Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap();
        let ok = passwords
            .verify("correct horse battery".into(), Some(reference))
            .await
            .unwrap();
        assert!(matches!(ok, Verified::Yes { rehash: None }));
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
            } => assert!(new_hash.contains("m=38912"), "{new_hash}"),
            _ => panic!("expected a rehash"),
        }
    }

    #[tokio::test]
    async fn memory_stays_within_one_buffer_per_slot() {
        let passwords = Arc::new(Passwords::new(&settings(MIN_MEMORY_KIB)).unwrap());
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        let checks = (0..16).map(|_| {
            let (passwords, hash) = (passwords.clone(), hash.clone());
            tokio::spawn(async move {
                passwords
                    .verify("nope nope nope".into(), Some(hash))
                    .await
                    .is_ok()
            })
        });
        for check in checks {
            assert!(check.await.unwrap());
        }
        assert!(
            passwords.buffers.lock().unwrap().len() <= 2,
            "no more buffers than hashing slots"
        );
    }
}
