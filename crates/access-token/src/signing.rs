//! Signing access tokens: an Ed25519 key, its `kid`, and the JWKS that
//! publishes its public half (with any further public keys, the previous one
//! during a rotation). The auth service signs with it; tests mint tokens
//! with it instead of running auth.

use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{EncodingKey, Header};

use crate::{ALGORITHM, Claims, KeySetVerifier, TOKEN_TYPE};

pub struct SigningKeys {
    kid: String,
    key: EncodingKey,
    jwks: JwkSet,
}

/// PKCS#8 v1 prefix of an Ed25519 private key, before its 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an Ed25519 PKCS#8 PEM key")]
    NotEd25519,
    #[error("cannot derive the public key or its thumbprint: {0}")]
    Public(String),
    #[error("no system randomness")]
    Randomness,
    #[error("cannot sign an access token: {0}")]
    Sign(String),
}

impl SigningKeys {
    /// `kid` defaults to the key's RFC 7638 thumbprint; `extra` are further
    /// public keys to publish (one with the same `kid` is left out).
    pub fn from_pem(pem: &str, kid: Option<String>, extra: Vec<Jwk>) -> Result<Self, KeyError> {
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|_| KeyError::NotEd25519)?;
        Self::new(key, kid, extra)
    }

    /// A fresh random key (a development key, or a test's).
    pub fn generate(kid: Option<String>) -> Result<Self, KeyError> {
        Self::new(EncodingKey::from_ed_der(&new_pkcs8_der()?), kid, Vec::new())
    }

    fn new(key: EncodingKey, kid: Option<String>, extra: Vec<Jwk>) -> Result<Self, KeyError> {
        let mut public =
            Jwk::from_encoding_key(&key, ALGORITHM).map_err(|e| KeyError::Public(e.to_string()))?;
        let kid = match kid {
            Some(kid) => kid,
            None => public
                .thumbprint(ThumbprintHash::SHA256)
                .map_err(|e| KeyError::Public(e.to_string()))?,
        };
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        public.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
        let mut keys = vec![public];
        keys.extend(
            extra
                .into_iter()
                .filter(|k| k.common.key_id.as_ref() != Some(&kid)),
        );
        Ok(Self {
            kid,
            key,
            jwks: JwkSet { keys },
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        let mut header = Header::new(ALGORITHM);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// A verifier over every published key: the signer checks its own tokens
    /// exactly as everyone else does.
    pub fn verifier(&self, issuer: &str, audience: &str) -> KeySetVerifier {
        KeySetVerifier::new(&self.jwks, issuer, audience)
    }
}

/// A new random Ed25519 private key as PKCS#8 v1 DER.
fn new_pkcs8_der() -> Result<Vec<u8>, KeyError> {
    let mut seed = [0u8; 32];
    aws_lc_rs::rand::fill(&mut seed).map_err(|_| KeyError::Randomness)?;
    Ok([ED25519_PKCS8_PREFIX.as_slice(), &seed].concat())
}

/// A new private key as PKCS#8 PEM (`auth generate-key` prints one).
pub fn generate_pem() -> Result<String, KeyError> {
    let body = base64::engine::general_purpose::STANDARD.encode(new_pkcs8_der()?);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        let now = chrono_now();
        Claims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: "us_00000000000000000000000000000000".parse().unwrap(),
            sid: "se_00000000000000000000000000000000".parse().unwrap(),
            exp: now + 60,
            iat: now,
            jti: "j".into(),
        }
    }

    fn chrono_now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[test]
    fn a_pem_key_signs_tokens_its_jwks_verifies() {
        let keys =
            SigningKeys::from_pem(&generate_pem().unwrap(), Some("k1".into()), vec![]).unwrap();
        let token = keys.sign(&claims()).unwrap();
        assert_eq!(
            keys.verifier("iss", "aud").verify(&token).unwrap(),
            claims()
        );
        let published = serde_json::to_value(keys.jwks()).unwrap();
        assert_eq!(published["keys"][0]["kid"], "k1");
        assert_eq!(published["keys"][0]["crv"], "Ed25519");
        assert!(
            published["keys"][0].get("d").is_none(),
            "no private part is published"
        );
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let a = SigningKeys::generate(Some("same".into())).unwrap();
        let b = SigningKeys::generate(Some("same".into())).unwrap();
        let token = b.sign(&claims()).unwrap();
        assert!(a.verifier("iss", "aud").verify(&token).is_err());
    }

    #[test]
    fn a_rotated_out_key_still_verifies_while_published() {
        let old = SigningKeys::generate(Some("old".into())).unwrap();
        let new = SigningKeys::new(
            EncodingKey::from_ed_der(&new_pkcs8_der().unwrap()),
            Some("new".into()),
            old.jwks().keys.clone(),
        )
        .unwrap();
        let token = old.sign(&claims()).unwrap();
        assert!(new.verifier("iss", "aud").verify(&token).is_ok());
        assert_eq!(new.jwks().keys.len(), 2);
    }
}
