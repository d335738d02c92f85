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
/// while auth is unreachable, the cached keys keep working. A token whose key
/// could not be fetched because auth is down is `KeysUnavailable` (the
/// caller's 503), not a forgery.
pub struct JwksVerifier {
    cache: Arc<KeyCache>,
}

struct KeyCache {
    client: AuthClient,
    issuer: String,
    audience: String,
    keys: RwLock<Arc<KeySetVerifier>>,
    /// When the keys were last fetched, and whether that failed (and why).
    refetch: tokio::sync::Mutex<Option<(Instant, Option<String>)>>,
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
    /// the fetch fails. Returns why the latest fetch failed, if it did.
    async fn refresh(&self, seen: &Arc<KeySetVerifier>) -> Option<String> {
        let mut last = self.refetch.lock().await;
        if !Arc::ptr_eq(seen, &self.current()) {
            return None; // someone refreshed while we waited
        }
        if let Some((at, failure)) = last.as_ref()
            && at.elapsed() < MIN_REFETCH_INTERVAL
        {
            return failure.clone();
        }
        let failure = match self.client.jwks().await {
            Ok(jwks) => {
                let verifier = KeySetVerifier::new(&jwks, &self.issuer, &self.audience);
                *self
                    .keys
                    .write()
                    .expect("the key cache lock is never poisoned") = Arc::new(verifier);
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not refresh the JWKS; keeping the cached keys");
                Some(e.to_string())
            }
        };
        *last = Some((Instant::now(), failure.clone()));
        failure
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
                    let failure = match refresh.await {
                        Ok(failure) => failure,
                        Err(_) => Some("the JWKS refresh task panicked".to_owned()),
                    };
                    match (self.cache.current().verify(token), failure) {
                        (Err(TokenError::UnknownKey), Some(reason)) => {
                            Err(TokenError::KeysUnavailable(reason))
                        }
                        (result, _) => result,
                    }
                }
                result => result,
            }
        })
    }
}
