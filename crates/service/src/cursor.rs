//! Pagination cursors that tell a client nothing: a position (a database id,
//! a rank), the listing it belongs to and an expiry, encrypted and
//! authenticated with AES-256-GCM (aws-lc-rs) under a key derived from
//! `CURSOR_SECRET`. A cursor that was altered, forged, made by another
//! service's key or for another listing, or that has expired, is refused.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorError {
    #[error("the cursor is malformed or was not issued by this service")]
    Invalid,
    #[error("the cursor belongs to another listing")]
    OtherListing,
    #[error("the cursor has expired; start again from the first page")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// The position after the last item of the page.
    p: T,
    /// The listing it continues.
    l: String,
    /// Unix time after which it is refused.
    e: i64,
}

/// Associated data of every cursor: a version, so a future format is told apart.
const AAD: &[u8] = b"gridlink-cursor-v1";

/// Seals and opens cursors with a key shared by all replicas of a service.
#[derive(Clone)]
pub struct CursorCodec {
    key: Arc<LessSafeKey>,
    ttl_secs: i64,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorCodec")
            .field("key", &"[redacted]")
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

struct KeyLength;

impl hkdf::KeyType for KeyLength {
    fn len(&self) -> usize {
        AES_256_GCM.key_len()
    }
}

impl CursorCodec {
    /// Derives the cursor key from `secret` (any length) with HKDF-SHA256.
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut key = [0u8; 32];
        hkdf::Salt::new(hkdf::HKDF_SHA256, b"gridlink cursors")
            .extract(secret)
            .expand(&[b"aes-256-gcm"], KeyLength)
            .and_then(|okm| okm.fill(&mut key))
            .expect("32 bytes are a valid HKDF-SHA256 output length");
        let key = UnboundKey::new(&AES_256_GCM, &key).expect("a 32-byte AES-256 key");
        Self {
            key: Arc::new(LessSafeKey::new(key)),
            ttl_secs,
        }
    }

    /// `CURSOR_SECRET` (shared by all replicas of a service) and
    /// `CURSOR_TTL_SECS` (default one hour). Without a secret, a fixed
    /// development key is used and a warning logged: anyone could forge cursors.
    pub fn from_env() -> Result<Self, gridlink_config::ConfigError> {
        let ttl = gridlink_config::parse("CURSOR_TTL_SECS", 3600)?;
        let secret = gridlink_config::secret("CURSOR_SECRET").unwrap_or_else(|| {
            tracing::warn!(
                "CURSOR_SECRET is not set: using a development key; set it in production"
            );
            gridlink_config::Secret::new("gridlink-development-cursor-key")
        });
        Ok(Self::new(secret.expose().as_bytes(), ttl))
    }

    pub fn encode<T: Serialize>(&self, listing: &str, position: &T) -> String {
        let envelope = Envelope {
            p: position,
            l: listing.to_owned(),
            e: chrono::Utc::now().timestamp() + self.ttl_secs,
        };
        let mut sealed = serde_json::to_vec(&envelope).expect("cursor positions serialise");
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system random source is available");
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut sealed,
            )
            .expect("sealing a small cursor cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn decode<T: DeserializeOwned>(
        &self,
        listing: &str,
        cursor: &str,
    ) -> Result<T, CursorError> {
        if cursor.len() > 1024 {
            return Err(CursorError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| CursorError::Invalid)?;
        if bytes.len() < NONCE_LEN {
            return Err(CursorError::Invalid);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CursorError::Invalid)?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(AAD), &mut sealed)
            .map_err(|_| CursorError::Invalid)?;
        let envelope: Envelope<T> =
            serde_json::from_slice(plain).map_err(|_| CursorError::Invalid)?;
        if envelope.l != listing {
            return Err(CursorError::OtherListing);
        }
        if envelope.e < chrono::Utc::now().timestamp() {
            return Err(CursorError::Expired);
        }
        Ok(envelope.p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Position {
        rank: f32,
        id: i64,
    }

    const AT: Position = Position { rank: 0.5, id: 4 };

    #[test]
    fn a_cursor_round_trips_and_shows_nothing_of_its_position() {
        let codec = CursorCodec::new(b"secret", 3600);
        let cursor = codec.encode("search:rust", &AT);
        assert_eq!(
            codec.decode::<Position>("search:rust", &cursor).unwrap(),
            AT
        );
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for visible in ["rank", "0.5", "search", "rust", "\"id\""] {
            assert!(!text.contains(visible), "{visible} readable in {cursor}");
        }
        assert_ne!(
            cursor,
            codec.encode("search:rust", &AT),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn an_altered_foreign_or_misplaced_cursor_is_refused() {
        let codec = CursorCodec::new(b"secret", 3600);
        let cursor = codec.encode("grid:gr_1", &AT);
        let other = CursorCodec::new(b"another", 3600);
        assert_eq!(
            other.decode::<Position>("grid:gr_1", &cursor),
            Err(CursorError::Invalid)
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(
            codec.decode::<Position>("grid:gr_1", &tampered),
            Err(CursorError::Invalid)
        );
        assert_eq!(
            codec.decode::<Position>("grid:gr_1", "garbage!"),
            Err(CursorError::Invalid)
        );
        assert_eq!(
            codec.decode::<Position>("grid:gr_2", &cursor),
            Err(CursorError::OtherListing)
        );
    }

    #[test]
    fn an_expired_cursor_is_refused() {
        let codec = CursorCodec::new(b"secret", -1);
        let cursor = codec.encode("l", &AT);
        assert_eq!(
            codec.decode::<Position>("l", &cursor),
            Err(CursorError::Expired)
        );
    }
}
