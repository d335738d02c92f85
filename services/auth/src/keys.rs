//! The access-token signing key and the public keys published at the JWKS
//! endpoint. Keys are Ed25519; several public keys can be published at once so
//! a key can be rotated without invalidating tokens signed by the previous one.

use anyhow::Context;
use base64::Engine as _;
use gridlink_access_token::{ALGORITHM, Claims, KeySetVerifier, TOKEN_TYPE};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{EncodingKey, Header};

use crate::config::SigningKeySource;

pub struct SigningKeys {
    kid: String,
    key: EncodingKey,
    jwks: JwkSet,
}

/// PKCS#8 v1 prefix of an Ed25519 private key, before its 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl SigningKeys {
    pub fn load(source: &SigningKeySource) -> anyhow::Result<Self> {
        let key = match &source.private_pem {
            Some(pem) => EncodingKey::from_ed_pem(pem.expose().as_bytes())
                .context("AUTH_SIGNING_KEY is not an Ed25519 PKCS#8 PEM key")?,
            None => {
                tracing::warn!(
                    "AUTH_SIGNING_KEY is not set: using a freshly generated DEVELOPMENT signing key. \
                     Tokens will not survive a restart or verify across replicas. \
                     Never run like this in production."
                );
                generate_ed25519()?
            }
        };
        let extra = match &source.published_keys_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read AUTH_PUBLISHED_KEYS_FILE {path}"))?;
                serde_json::from_str::<JwkSet>(&text)
                    .with_context(|| format!("{path} is not a JWKS document"))?
                    .keys
            }
            None => Vec::new(),
        };
        Self::new(key, source.key_id.clone(), extra)
    }

    fn new(key: EncodingKey, kid: Option<String>, extra: Vec<Jwk>) -> anyhow::Result<Self> {
        let mut public = Jwk::from_encoding_key(&key, ALGORITHM)
            .context("cannot derive the public key of the signing key")?;
        let kid = match kid {
            Some(kid) => kid,
            None => public
                .thumbprint(ThumbprintHash::SHA256)
                .context("cannot compute the key thumbprint")?,
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

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(ALGORITHM);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).context("cannot sign an access token")
    }

    /// A verifier over every published key: the service checks its own tokens
    /// exactly as other services do.
    pub fn verifier(&self, issuer: &str, audience: &str) -> KeySetVerifier {
        KeySetVerifier::new(&self.jwks, issuer, audience)
    }
}

/// A new random Ed25519 private key as PKCS#8 v1 DER.
fn new_pkcs8_der() -> anyhow::Result<Vec<u8>> {
    let mut seed = [0u8; 32];
    aws_lc_rs::rand::fill(&mut seed).map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok([ED25519_PKCS8_PREFIX.as_slice(), &seed].concat())
}

fn generate_ed25519() -> anyhow::Result<EncodingKey> {
    Ok(EncodingKey::from_ed_der(&new_pkcs8_der()?))
}

/// A new private key as PKCS#8 PEM, the format `AUTH_SIGNING_KEY` takes
/// (`auth generate-key` prints one).
pub fn generate_pem() -> anyhow::Result<String> {
    let body = base64::engine::general_purpose::STANDARD.encode(new_pkcs8_der()?);
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: "us_00000000000000000000000000000000".into(),
            exp: now + 60,
            iat: now,
            jti: "j".into(),
        }
    }

    #[test]
    fn a_pem_key_signs_tokens_its_jwks_verifies() {
        let pem = generate_pem().unwrap();
        let source = SigningKeySource {
            private_pem: Some(gridlink_config::Secret::new(pem)),
            key_id: Some("k1".into()),
            published_keys_file: None,
        };
        let keys = SigningKeys::load(&source).unwrap();
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
        let a = SigningKeys::new(generate_ed25519().unwrap(), Some("same".into()), vec![]).unwrap();
        let b = SigningKeys::new(generate_ed25519().unwrap(), Some("same".into()), vec![]).unwrap();
        let token = b.sign(&claims()).unwrap();
        assert!(a.verifier("iss", "aud").verify(&token).is_err());
    }

    #[test]
    fn a_rotated_out_key_still_verifies_while_published() {
        let old =
            SigningKeys::new(generate_ed25519().unwrap(), Some("old".into()), vec![]).unwrap();
        let new = SigningKeys::new(
            generate_ed25519().unwrap(),
            Some("new".into()),
            old.jwks().keys.clone(),
        )
        .unwrap();
        let token = old.sign(&claims()).unwrap();
        assert!(new.verifier("iss", "aud").verify(&token).is_ok());
        assert_eq!(new.jwks().keys.len(), 2);
    }
}
