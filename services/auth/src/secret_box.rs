//! Sealing TOTP secrets at rest: AES-256-GCM under a key derived from
//! `AUTH_MFA_KEY`, with a fresh random nonce per seal and the user's id as
//! associated data, so a sealed secret copied to another account's row
//! does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use gridlink_config::Secret;
use gridlink_ids::UserId;

pub struct SecretBox {
    key: LessSafeKey,
}

impl SecretBox {
    /// The box of `key`; `None`: a development key, with a warning.
    pub fn new(key: Option<&Secret>) -> Self {
        let material = match key {
            Some(key) => key.expose().as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "AUTH_MFA_KEY is not set: TOTP secrets are sealed with a development key"
                );
                b"gridlink development mfa key".to_vec()
            }
        };
        let derived = digest::digest(&digest::SHA256, &material);
        let key = UnboundKey::new(&AES_256_GCM, derived.as_ref()).expect("a 256-bit key");
        Self {
            key: LessSafeKey::new(key),
        }
    }

    /// `nonce || ciphertext || tag`.
    pub fn seal(&self, user: &UserId, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system random source is available");
        let mut sealed = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(user.as_str().as_bytes()),
                &mut sealed,
            )
            .expect("sealing a short secret cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The secret, or `None` when it was not sealed by this key for `user`.
    pub fn open(&self, user: &UserId, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(user.as_str().as_bytes()), &mut buffer)
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_user_under_its_key() {
        let ada = UserId::generate();
        let box_a = SecretBox::new(Some(&Secret::new("a key of thirty-two characters!!")));
        let sealed = box_a.seal(&ada, b"twenty bytes secret!");
        assert_ne!(&sealed[NONCE_LEN..NONCE_LEN + 20], b"twenty bytes secret!");
        assert_eq!(box_a.open(&ada, &sealed).unwrap(), b"twenty bytes secret!");
        assert_ne!(
            box_a.seal(&ada, b"twenty bytes secret!"),
            sealed,
            "fresh nonce"
        );
        assert_eq!(box_a.open(&UserId::generate(), &sealed), None);
        let box_b = SecretBox::new(Some(&Secret::new("another key, also long enough..")));
        assert_eq!(box_b.open(&ada, &sealed), None);
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert_eq!(box_a.open(&ada, &tampered), None);
        assert_eq!(box_a.open(&ada, &sealed[..5]), None);
    }
}
