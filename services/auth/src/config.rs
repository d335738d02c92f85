//! The auth service's settings, all from the environment (see the README's
//! configuration table). Defaults run a local stack with no configuration.

use std::time::Duration;

use gridlink_access_token::TokenAudience;
use gridlink_config::{ConfigError, Secret, parse};
use gridlink_http::TrustedProxies;
use gridlink_service::KitConfig;

#[derive(Debug, Clone)]
pub struct Config {
    /// `AUTH_ADDR` (default 127.0.0.1:8081), `ADMIN_ADDR` (9081), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
    pub tokens: TokenSettings,
    pub signing_key: SigningKeySource,
    pub trusted_proxies: TrustedProxies,
    pub throttle: ThrottleSettings,
    pub hashing: HashSettings,
    pub identities: IdentitySettings,
    /// `ERASURE_SERVICES`: the services that must confirm a user's erasure.
    pub erasure_services: Vec<String>,
    pub mail: MailSettings,
    pub mfa: MfaSettings,
}

/// The second factor.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// `AUTH_MFA_KEY`: the key TOTP secrets are sealed with at rest (a
    /// random string of 32 characters or more). `None`: a development key,
    /// with a warning.
    pub key: Option<Secret>,
    /// `AUTH_MFA_CHALLENGE_TTL_SECS` (300): how long a login that passed its
    /// password may take to present its code.
    pub challenge_ttl: Duration,
    /// `AUTH_TOTP_ISSUER` ("Gridlink"): the name authenticator apps show.
    pub issuer: String,
}

/// The mail auth sends (through the mailer).
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `PUBLIC_BASE_URL` (default `http://127.0.0.1:8080`): where the
    /// front-end pages the mailed links open live.
    pub public_base_url: String,
    /// `AUTH_VERIFY_TOKEN_TTL_SECS` (24 h): an address verification's life.
    pub verify_ttl: Duration,
    /// `AUTH_RESET_TOKEN_TTL_SECS` (30 min): a password reset's life.
    pub reset_ttl: Duration,
    /// `AUTH_MAIL_MAX_PER_ADDRESS` (5) per `window`: reset and verification
    /// mails one address is sent.
    pub max_per_address: i32,
    /// `AUTH_MAIL_MAX_PER_CLIENT` (20) per `window`: reset mails one client
    /// address may ask for, whoever they are for.
    pub max_per_client: i32,
    /// `AUTH_MAIL_WINDOW_SECS` (1 h).
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub audience: TokenAudience,
    pub access_ttl: Duration,
    /// `AUTH_REFRESH_TOKEN_TTL_SECS`: how long an unused refresh token lives.
    pub refresh_ttl: Duration,
    /// `AUTH_SESSION_MAX_AGE_SECS`: a session's absolute lifetime; rotation
    /// never extends it.
    pub session_max_age: Duration,
    /// `AUTH_MAX_SESSIONS_PER_USER`: live sessions a user may have; the
    /// oldest ends when another starts.
    pub max_sessions: i64,
    /// `AUTH_DEVICE_TOKEN_TTL_SECS`: how long a device token is honoured.
    pub device_ttl: Duration,
}

/// Holding back the usernames and emails of deleted accounts.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// `AUTH_IDENTITY_KEY`: the key of the hashes that are kept. `None`: a
    /// development key, with a warning.
    pub key: Option<Secret>,
    /// `AUTH_RETIRED_IDENTITY_DAYS`: how long they are held back.
    pub hold: Duration,
}

/// Where the Ed25519 signing key comes from.
#[derive(Debug, Clone)]
pub struct SigningKeySource {
    /// `AUTH_SIGNING_KEY` (PKCS#8 PEM) or the file named by `AUTH_SIGNING_KEY_FILE`.
    /// `None`: a development key is generated at start-up.
    pub private_pem: Option<Secret>,
    /// `AUTH_SIGNING_KEY_ID`; defaults to the key's RFC 7638 thumbprint.
    pub key_id: Option<String>,
    /// `AUTH_PUBLISHED_KEYS_FILE`: a JWKS of further public keys to publish
    /// (the previous key during a rotation).
    pub published_keys_file: Option<String>,
}

/// Failed-password budgets (see `credentials`).
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// `AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS`, per `window`.
    pub max_failures_per_account_address: i32,
    /// `AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT`, per `account_window`: how many
    /// passwords a guess spread over any number of addresses gets checked.
    pub max_failures_per_account: i32,
    /// `AUTH_LOGIN_ACCOUNT_WINDOW_SECS`.
    pub account_window: Duration,
    /// `AUTH_LOGIN_MAX_FAILURES_PER_IP`, per `window`.
    pub max_failures_per_ip: i32,
    /// `AUTH_LOGIN_MAX_FAILURES_PER_DEVICE`, per `window`.
    pub max_failures_per_device: i32,
    /// `AUTH_REAUTH_MAX_FAILURES`, per `window`: wrong current passwords of
    /// a signed-in user.
    pub max_failures_reauthentication: i32,
    /// `AUTH_SIGNUP_MAX_CONFLICTS_PER_CLIENT`, per `window`: signups one
    /// client address may have refused for a taken username or email (the
    /// 409 tells whether an address is registered, so probing is bounded).
    pub max_signup_conflicts_per_client: i32,
    /// `AUTH_LOGIN_WINDOW_SECS`.
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct HashSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes running at once; each holds `memory_kib` of memory.
    pub max_concurrent: usize,
    /// How long a request waits for a hashing slot before a 503.
    pub queue_timeout: Duration,
}

/// OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
pub const MIN_MEMORY_KIB: u32 = 19 * 1024;
pub const MIN_ITERATIONS: u32 = 2;
/// RFC 9068 and our contract: access tokens live at most 15 minutes (every
/// verifier remembers revocations that long).
pub const MAX_ACCESS_TTL_SECS: u64 = gridlink_access_token::MAX_TTL_SECS as u64;

fn invalid(name: &str, reason: &str) -> ConfigError {
    ConfigError {
        name: name.into(),
        reason: reason.into(),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let access_ttl_secs: u64 = parse("AUTH_ACCESS_TOKEN_TTL_SECS", MAX_ACCESS_TTL_SECS)?;
        if access_ttl_secs == 0 || access_ttl_secs > MAX_ACCESS_TTL_SECS {
            return Err(invalid("AUTH_ACCESS_TOKEN_TTL_SECS", "must be 1 to 900"));
        }
        let hashing = HashSettings {
            memory_kib: parse("AUTH_ARGON2_MEMORY_KIB", MIN_MEMORY_KIB)?,
            iterations: parse("AUTH_ARGON2_ITERATIONS", MIN_ITERATIONS)?,
            parallelism: parse("AUTH_ARGON2_PARALLELISM", 1)?,
            max_concurrent: parse(
                "AUTH_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, usize::from),
            )?,
            queue_timeout: Duration::from_millis(parse("AUTH_HASH_QUEUE_TIMEOUT_MS", 5_000)?),
        };
        if hashing.memory_kib < MIN_MEMORY_KIB || hashing.iterations < MIN_ITERATIONS {
            return Err(invalid(
                "AUTH_ARGON2_MEMORY_KIB/AUTH_ARGON2_ITERATIONS",
                "must be at least m=19456 KiB and t=2",
            ));
        }
        let private_pem = match gridlink_config::var("AUTH_SIGNING_KEY_FILE") {
            Some(path) => Some(Secret::new(std::fs::read_to_string(&path).map_err(
                |e| invalid("AUTH_SIGNING_KEY_FILE", &format!("cannot read {path}: {e}")),
            )?)),
            None => gridlink_config::secret("AUTH_SIGNING_KEY"),
        };
        let trusted_proxies = TrustedProxies::parse(&gridlink_config::list("TRUSTED_PROXIES"))
            .map_err(|reason| invalid("TRUSTED_PROXIES", &reason))?;
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            tokens: TokenSettings {
                audience: TokenAudience::from_env(),
                access_ttl: Duration::from_secs(access_ttl_secs),
                refresh_ttl: Duration::from_secs(parse(
                    "AUTH_REFRESH_TOKEN_TTL_SECS",
                    30 * 24 * 3600,
                )?),
                session_max_age: Duration::from_secs(parse(
                    "AUTH_SESSION_MAX_AGE_SECS",
                    90 * 24 * 3600,
                )?),
                max_sessions: parse("AUTH_MAX_SESSIONS_PER_USER", 50)?,
                device_ttl: Duration::from_secs(parse(
                    "AUTH_DEVICE_TOKEN_TTL_SECS",
                    365 * 24 * 3600,
                )?),
            },
            signing_key: SigningKeySource {
                private_pem,
                key_id: gridlink_config::var("AUTH_SIGNING_KEY_ID"),
                published_keys_file: gridlink_config::var("AUTH_PUBLISHED_KEYS_FILE"),
            },
            trusted_proxies,
            throttle: ThrottleSettings {
                max_failures_per_account_address: parse(
                    "AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS",
                    10,
                )?,
                max_failures_per_account: parse("AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT", 100)?,
                account_window: Duration::from_secs(parse("AUTH_LOGIN_ACCOUNT_WINDOW_SECS", 3600)?),
                max_failures_per_ip: parse("AUTH_LOGIN_MAX_FAILURES_PER_IP", 100)?,
                max_failures_per_device: parse("AUTH_LOGIN_MAX_FAILURES_PER_DEVICE", 10)?,
                max_failures_reauthentication: parse("AUTH_REAUTH_MAX_FAILURES", 10)?,
                max_signup_conflicts_per_client: parse("AUTH_SIGNUP_MAX_CONFLICTS_PER_CLIENT", 20)?,
                window: Duration::from_secs(parse("AUTH_LOGIN_WINDOW_SECS", 900)?),
            },
            hashing,
            identities: IdentitySettings {
                key: gridlink_config::secret("AUTH_IDENTITY_KEY"),
                hold: Duration::from_secs(
                    parse::<u64>("AUTH_RETIRED_IDENTITY_DAYS", 30)? * 24 * 3600,
                ),
            },
            erasure_services: match gridlink_config::list("ERASURE_SERVICES") {
                services if services.is_empty() => {
                    vec![
                        "grids".into(),
                        "links".into(),
                        "analytics".into(),
                        "mailer".into(),
                    ]
                }
                services => services,
            },
            mail: MailSettings {
                public_base_url: gridlink_config::string(
                    "PUBLIC_BASE_URL",
                    "http://127.0.0.1:8080",
                ),
                verify_ttl: Duration::from_secs(parse("AUTH_VERIFY_TOKEN_TTL_SECS", 24 * 3600)?),
                reset_ttl: Duration::from_secs(parse("AUTH_RESET_TOKEN_TTL_SECS", 30 * 60)?),
                max_per_address: parse("AUTH_MAIL_MAX_PER_ADDRESS", 5)?,
                max_per_client: parse("AUTH_MAIL_MAX_PER_CLIENT", 20)?,
                window: Duration::from_secs(parse("AUTH_MAIL_WINDOW_SECS", 3600)?),
            },
            mfa: MfaSettings {
                key: match gridlink_config::secret("AUTH_MFA_KEY") {
                    Some(key) if key.expose().len() < 32 => {
                        return Err(invalid("AUTH_MFA_KEY", "must be at least 32 characters"));
                    }
                    key => key,
                },
                challenge_ttl: Duration::from_secs(parse("AUTH_MFA_CHALLENGE_TTL_SECS", 300)?),
                issuer: gridlink_config::string("AUTH_TOTP_ISSUER", "Gridlink"),
            },
        })
    }
}
