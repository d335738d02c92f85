use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorError {
    #[error("the cursor is malformed or was not issued by this service")]
    Invalid,
    #[error("the cursor has expired; start again from the first page")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// The position after the last item of the page.
    p: T,
    /// Unix time after which the cursor is refused.
    e: i64,
}

/// Signs and checks cursors with a key shared by all replicas of a service.
#[derive(Clone)]
pub struct CursorCodec {
    key: hmac::Key,
    ttl_secs: i64,
}

impl CursorCodec {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
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

    pub fn encode<T: Serialize>(&self, position: &T) -> String {
        let envelope = Envelope {
            p: position,
            e: chrono::Utc::now().timestamp() + self.ttl_secs,
        };
        let payload = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&envelope).expect("cursor positions serialise"));
        let tag = hmac::sign(&self.key, payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    pub fn decode<T: DeserializeOwned>(&self, cursor: &str) -> Result<T, CursorError> {
        let (payload, tag) = cursor.split_once('.').ok_or(CursorError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| CursorError::Invalid)?;
        hmac::verify(&self.key, payload.as_bytes(), &tag).map_err(|_| CursorError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CursorError::Invalid)?;
        let envelope: Envelope<T> =
            serde_json::from_slice(&json).map_err(|_| CursorError::Invalid)?;
        if envelope.e < chrono::Utc::now().timestamp() {
            return Err(CursorError::Expired);
        }
        Ok(envelope.p)
    }
}

/// `?limit=&cursor=` as the contract defines them.
#[derive(Debug, Clone, Deserialize)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl PageParams {
    pub const DEFAULT_LIMIT: i64 = 20;
    pub const MAX_LIMIT: i64 = 100;

    /// The page size, or a message for the client when it is out of range.
    pub fn limit(&self) -> Result<i64, &'static str> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err("limit must be between 1 and 100"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Position {
        created: i64,
        id: i64,
    }

    #[test]
    fn a_cursor_round_trips() {
        let codec = CursorCodec::new(b"secret", 3600);
        let position = Position { created: 17, id: 4 };
        let cursor = codec.encode(&position);
        assert_eq!(codec.decode::<Position>(&cursor).unwrap(), position);
    }

    #[test]
    fn an_altered_or_foreign_cursor_is_invalid() {
        let codec = CursorCodec::new(b"secret", 3600);
        let cursor = codec.encode(&Position { created: 17, id: 4 });
        let other = CursorCodec::new(b"another", 3600);
        assert_eq!(other.decode::<Position>(&cursor), Err(CursorError::Invalid));
        let forged = URL_SAFE_NO_PAD.encode(br#"{"p":{"created":1,"id":1},"e":99999999999}"#);
        let (_, tag) = cursor.split_once('.').unwrap();
        assert_eq!(
            codec.decode::<Position>(&format!("{forged}.{tag}")),
            Err(CursorError::Invalid)
        );
        assert_eq!(
            codec.decode::<Position>("garbage"),
            Err(CursorError::Invalid)
        );
    }

    #[test]
    fn an_expired_cursor_is_refused() {
        let codec = CursorCodec::new(b"secret", -1);
        let cursor = codec.encode(&Position { created: 1, id: 1 });
        assert_eq!(codec.decode::<Position>(&cursor), Err(CursorError::Expired));
    }

    #[test]
    fn limits_outside_the_contract_are_refused() {
        let params = |limit| PageParams {
            limit,
            cursor: None,
        };
        assert_eq!(params(None).limit(), Ok(20));
        assert_eq!(params(Some(100)).limit(), Ok(100));
        assert!(params(Some(0)).limit().is_err());
        assert!(params(Some(101)).limit().is_err());
    }
}
