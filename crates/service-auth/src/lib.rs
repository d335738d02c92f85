//! Bearer tokens between services, for `/internal/...` routes.
//!
//! A receiving service is configured with `INTERNAL_TOKENS`, a comma-separated
//! list of `caller:token` pairs; a caller may appear several times so tokens can
//! be rotated without downtime. Presented tokens are hashed and compared with
//! every configured token in constant time. Tokens are never logged.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use aws_lc_rs::digest;
use gridlink_config::ConfigError;
use gridlink_problem::ApiError;
use std::future::{Ready, ready};

/// Shortest token accepted in configuration: anything shorter is guessable.
pub const MIN_TOKEN_LEN: usize = 24;

type Digest = [u8; 32];

/// The tokens this service accepts, by calling service.
#[derive(Clone, Default)]
pub struct ServiceTokens {
    entries: Vec<(String, Digest)>,
}

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let callers: Vec<&str> = self.entries.iter().map(|(c, _)| c.as_str()).collect();
        f.debug_struct("ServiceTokens")
            .field("callers", &callers)
            .finish()
    }
}

fn sha256(bytes: &[u8]) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// Equal-time comparison of two digests.
fn same(a: &Digest, b: &Digest) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl ServiceTokens {
    /// Reads `INTERNAL_TOKENS`. Unset means no caller is accepted.
    pub fn from_env() -> Result<Self, ConfigError> {
        let pairs = gridlink_config::list("INTERNAL_TOKENS");
        Self::parse(&pairs).map_err(|reason| ConfigError {
            name: "INTERNAL_TOKENS".into(),
            reason,
        })
    }

    /// Parses `caller:token` entries.
    pub fn parse(pairs: &[String]) -> Result<Self, String> {
        let entries = pairs
            .iter()
            .map(|pair| {
                let (caller, token) = pair
                    .split_once(':')
                    .ok_or_else(|| "each entry must be caller:token".to_owned())?;
                let caller = caller.trim();
                if caller.is_empty() {
                    return Err("an entry has an empty caller name".to_owned());
                }
                if token.len() < MIN_TOKEN_LEN {
                    return Err(format!(
                        "the token for `{caller}` is shorter than {MIN_TOKEN_LEN} characters"
                    ));
                }
                Ok((caller.to_owned(), sha256(token.as_bytes())))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller that owns `presented`, checking every entry so the time taken
    /// does not depend on which one (if any) matched.
    pub fn caller_of(&self, presented: &str) -> Option<&str> {
        let presented = sha256(presented.as_bytes());
        let mut found = None;
        for (caller, digest) in &self.entries {
            if same(&presented, digest) && found.is_none() {
                found = Some(caller.as_str());
            }
        }
        found
    }
}

/// An authenticated calling service. Add it as an argument to every
/// `/internal/...` handler; requests without a configured token get 401.
#[derive(Debug, Clone)]
pub struct InternalCaller(pub String);

impl FromRequest for InternalCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tokens = req.app_data::<web::Data<ServiceTokens>>();
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let caller = match (tokens, presented) {
            (Some(tokens), Some(token)) => tokens.caller_of(token.trim()).map(str::to_owned),
            _ => None,
        };
        ready(
            caller
                .map(InternalCaller)
                .ok_or_else(|| ApiError::Unauthorized("a valid service token is required".into())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> ServiceTokens {
        ServiceTokens::parse(&[
            "gateway:gateway-token-aaaaaaaaaaaaaaaa".into(),
            "gateway:gateway-token-rotated-bbbbbbbbbb".into(),
            "grids:grids-token-cccccccccccccccccccc".into(),
        ])
        .unwrap()
    }

    #[test]
    fn every_configured_token_names_its_caller() {
        let t = tokens();
        assert_eq!(
            t.caller_of("gateway-token-aaaaaaaaaaaaaaaa"),
            Some("gateway")
        );
        assert_eq!(
            t.caller_of("gateway-token-rotated-bbbbbbbbbb"),
            Some("gateway")
        );
        assert_eq!(
            t.caller_of("grids-token-cccccccccccccccccccc"),
            Some("grids")
        );
    }

    #[test]
    fn anything_else_is_rejected() {
        let t = tokens();
        assert_eq!(t.caller_of(""), None);
        assert_eq!(t.caller_of("gateway-token-aaaaaaaaaaaaaaa"), None);
        assert_eq!(t.caller_of("gateway-token-aaaaaaaaaaaaaaaaX"), None);
        assert_eq!(ServiceTokens::default().caller_of("anything"), None);
    }

    #[test]
    fn short_or_malformed_entries_are_refused() {
        assert!(ServiceTokens::parse(&["gateway:short".into()]).is_err());
        assert!(ServiceTokens::parse(&["no-colon-here-at-all-aaaaaaaaaa".into()]).is_err());
    }

    #[test]
    fn debug_output_names_callers_but_not_tokens() {
        let printed = format!("{:?}", tokens());
        assert!(printed.contains("gateway"));
        assert!(!printed.contains("token-aaaa"));
    }
}
