//! The auth service: users, argon2id passwords, EdDSA access tokens with a
//! JWKS, rotating refresh tokens, login throttling, and account deletion that
//! writes `user.deleted` to the outbox.

mod api;
pub mod config;
mod credentials;
mod db;
mod domain;
mod events;
mod keys;
pub mod openapi;
mod passwords;
mod routes;
mod state;
mod tokens;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_access_token::AccessTokens;
use gridlink_http::{Application, Metrics, Readiness};

pub use config::Config;
pub use keys::generate_pem;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies pending migrations to the configured database.
pub async fn migrate(config: &Config) -> anyhow::Result<Vec<String>> {
    gridlink_db::run_migrations(&config.database_url, MIGRATIONS).await
}

/// Builds the service: its pool, background event tasks and HTTP server.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let database = gridlink_db::build_pool(&config.database_url, &config.pool)?;
    let pool = database.pool.clone();
    let keys = keys::SigningKeys::load(&config.signing_key)?;
    let audience = &config.tokens.audience;
    let verifier = keys.verifier(&audience.issuer, &audience.audience);
    if config.internal_tokens.is_empty() {
        tracing::warn!("INTERNAL_TOKENS is not set: every /internal route will answer 401");
    }

    let state = web::Data::new(state::AppState {
        pool: pool.clone(),
        passwords: passwords::Passwords::new(&config.hashing)?,
        issuer: tokens::TokenIssuer {
            keys,
            settings: config.tokens.clone(),
        },
        throttle: config.throttle.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        erasure_services: config.erasure_services.clone(),
    });
    let access_tokens = web::Data::new(AccessTokens(Arc::new(verifier)));
    let internal_tokens = web::Data::new(config.internal_tokens.clone());
    let metrics = Metrics::new("auth", Some(database));
    let mut readiness = Readiness::new().database(pool.clone());
    if let Some(settings) = config.events.clone() {
        let broker = gridlink_events::start(
            config.database_url.clone(),
            settings,
            events::consumers(pool),
            gridlink_events::EventMetrics::register(metrics.registry()),
        );
        readiness = readiness.check("broker", gridlink_events::readiness(broker));
    }
    let readiness = web::Data::new(readiness);
    let metrics = web::Data::new(metrics);

    let listener = TcpListener::bind(config.http.addr)?;
    let server = gridlink_http::server(
        listener,
        config.http.workers,
        routes::configure,
        move |cfg| {
            cfg.app_data(state.clone())
                .app_data(access_tokens.clone())
                .app_data(internal_tokens.clone())
                .app_data(metrics.clone())
                .app_data(readiness.clone());
        },
    )?;
    tracing::info!(port = server.port(), "auth service listening");
    Ok(server)
}
