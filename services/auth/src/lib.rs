//! The auth service: users, argon2id passwords, EdDSA access tokens with a
//! JWKS, sessions with rotating refresh tokens whose end every verifier
//! learns within a second, a login throttle nobody can spend for someone
//! else, and account deletion that writes `user.deleted` to the outbox.

mod api;
pub mod config;
mod credentials;
mod db;
mod domain;
mod events;
mod identities;
mod keys;
mod mail;
pub mod openapi;
mod passwords;
mod routes;
mod second_factor;
mod secret_box;
mod state;
mod tokens;
pub mod totp;
mod user_agent;

use std::sync::Arc;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_events::topology::AUTH_USER_ERASED;
use gridlink_service::{Application, Kit, KitConfig, Service, Spec, consume_once};

pub use config::Config;
pub use gridlink_access_token::generate_pem;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "auth",
    port: 8081,
    admin_port: 9081,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// Builds the service: its pool, keys, consumers and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    let keys = keys::load(&config.signing_key)?;
    let audience = &config.tokens.audience;
    let verifier = Arc::new(keys.verifier(&audience.issuer, &audience.audience));
    // Auth's own replicas catch up from its database.
    let revoked: gridlink_service::RevocationSource = {
        let db = db.clone();
        Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let mut conn = db.conn().await.map_err(|e| e.to_string())?;
                db::sessions::revoked_since(&mut conn, routes::internal::revocations_since())
                    .await
                    .map_err(|e| e.to_string())
            })
        })
    };
    kit.data(state::AppState {
        db: db.clone(),
        passwords: passwords::Passwords::new(&config.hashing)?,
        issuer: tokens::TokenIssuer {
            keys,
            settings: config.tokens,
        },
        throttle: config.throttle,
        trusted_proxies: config.trusted_proxies,
        erasure_services: config.erasure_services,
        identities: identities::RetiredIdentities::new(&config.identities),
        mail: config.mail,
        secrets: secret_box::SecretBox::new(config.mfa.key.as_ref()),
        mfa: config.mfa,
    })
    .access_tokens(verifier, Some(revoked))
    .consumer(consume_once(AUTH_USER_ERASED, db, events::RecordErasure))
    .serve(routes::configure)
}

pub struct Auth;

impl Service for Auth {
    const SPEC: Spec = SPEC;
    type Config = Config;
    const COMMANDS: &'static [(&'static str, &'static str)] = &[(
        "generate-key",
        "print a new Ed25519 signing key (PKCS#8 PEM)",
    )];

    fn config() -> Result<Config, gridlink_config::ConfigError> {
        Config::from_env()
    }

    fn kit_config(config: &Config) -> &KitConfig {
        &config.kit
    }

    fn build(config: Config) -> impl Future<Output = anyhow::Result<Application>> + Send {
        build(config)
    }

    fn command(name: &str) -> anyhow::Result<()> {
        match name {
            "generate-key" => {
                print!("{}", generate_pem()?);
                Ok(())
            }
            other => anyhow::bail!("unknown command {other}"),
        }
    }
}
