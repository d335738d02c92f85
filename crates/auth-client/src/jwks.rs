//! Access-token verification for services other than auth.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use gridlink_access_token::{Claims, KeySetVerifier, TokenError, VerifyAccessToken};
use jsonwebtoken::jwk::JwkSet;

use crate::AuthClient;

/// How often at most an unknown `kid` makes the verifier ask auth again.
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// Verifies access tokens against the auth service's JWKS, fetched through the
/// client and cached. A token signed with an unknown `kid` triggers one refetch
/// (at most one per [`MIN_REFETCH_INTERVAL`], so forged kids cannot hammer auth);
/// while auth is unreachable, the cached keys keep working.
pub struct JwksVerifier {
    cache: Arc<KeyCache>,
}

struct KeyCache {
    client: AuthClient,
    issuer: String,
    audience: String,
    keys: RwLock<Arc<KeySetVerifier>>,
    refetch: tokio::sync::Mutex<Option<Instant>>,
}

impl JwksVerifier {
    /// Starts with no keys; the first token fetches them.
    pub fn new(client: AuthClient, issuer: &str, audience: &str) -> Self {
        Self {
            cache: Arc::new(KeyCache {
                keys: RwLock::new(Arc::new(KeySetVerifier::new(
                    &JwkSet { keys: vec![] },
                    issuer,
                    audience,
                ))),
                client,
                issuer: issuer.to_owned(),
                audience: audience.to_owned(),
                refetch: tokio::sync::Mutex::new(None),
            }),
        }
    }
}

impl KeyCache {
    fn current(&self) -> Arc<KeySetVerifier> {
        self.keys
            .read()
            .expect("the key cache lock is never poisoned")
            .clone()
    }

    /// Fetches the JWKS unless another task just did; keeps the old keys when
    /// the fetch fails.
    async fn refresh(&self, seen: &Arc<KeySetVerifier>) {
        let mut last = self.refetch.lock().await;
        if !Arc::ptr_eq(seen, &self.current()) {
            return; // someone refreshed while we waited
        }
        if last.is_some_and(|at| at.elapsed() < MIN_REFETCH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        match self.client.jwks().await {
            Ok(jwks) => {
                let verifier = KeySetVerifier::new(&jwks, &self.issuer, &self.audience);
                *self
                    .keys
                    .write()
                    .expect("the key cache lock is never poisoned") = Arc::new(verifier);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the JWKS; keeping the cached keys")
            }
        }
    }
}

impl VerifyAccessToken for JwksVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Claims, TokenError>> {
        Box::pin(async move {
            let keys = self.cache.current();
            match keys.verify(token) {
                Err(TokenError::UnknownKey) => {
                    // The refresh runs as its own task: the request that asked
                    // may be dropped (another extractor failed, the client
                    // left), and a fetch cancelled halfway would leave the
                    // refetch throttled with the keys still missing.
                    let cache = Arc::clone(&self.cache);
                    let seen = Arc::clone(&keys);
                    let refresh = tokio::spawn(async move { cache.refresh(&seen).await });
                    if refresh.await.is_err() {
                        tracing::error!("the JWKS refresh task panicked");
                    }
                    self.cache.current().verify(token)
                }
                result => result,
            }
        })
    }
}
