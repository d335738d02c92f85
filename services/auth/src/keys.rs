//! The access-token signing key and the public keys published at the JWKS
//! endpoint, from the configuration. Keys are Ed25519; several public keys can
//! be published at once so a key can be rotated without invalidating tokens
//! signed by the previous one.

use anyhow::Context;
use gridlink_access_token::SigningKeys;
use jsonwebtoken::jwk::JwkSet;

use crate::config::SigningKeySource;

pub fn load(source: &SigningKeySource) -> anyhow::Result<SigningKeys> {
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
    match &source.private_pem {
        Some(pem) => SigningKeys::from_pem(pem.expose(), source.key_id.clone(), extra)
            .context("AUTH_SIGNING_KEY is not usable"),
        None => {
            tracing::warn!(
                "AUTH_SIGNING_KEY is not set: using a freshly generated DEVELOPMENT signing key. \
                 Tokens will not survive a restart or verify across replicas. \
                 Never run like this in production."
            );
            Ok(SigningKeys::generate(source.key_id.clone())?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_pem_key_and_extra_published_keys_are_loaded() {
        let previous = SigningKeys::generate(Some("old".into())).unwrap();
        let file = std::env::temp_dir().join(format!("jwks-{}.json", std::process::id()));
        std::fs::write(&file, serde_json::to_string(previous.jwks()).unwrap()).unwrap();
        let source = SigningKeySource {
            private_pem: Some(gridlink_config::Secret::new(
                gridlink_access_token::generate_pem().unwrap(),
            )),
            key_id: Some("new".into()),
            published_keys_file: Some(file.display().to_string()),
        };
        let keys = load(&source).unwrap();
        let _ = std::fs::remove_file(&file);
        assert_eq!(keys.kid(), "new");
        let kids: Vec<_> = keys
            .jwks()
            .keys
            .iter()
            .map(|k| k.common.key_id.clone().unwrap())
            .collect();
        assert_eq!(kids, ["new", "old"]);
    }
}
