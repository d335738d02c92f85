//! The grids service: titled pages of links with public, unlisted and private
//! visibility, keyset-paginated listings, soft deletion that writes
//! `grid.deleted` to the outbox, and internal routes for the links service and
//! the gateway's profile page.

mod api;
pub mod config;
mod db;
mod domain;
mod events;
pub mod openapi;
mod routes;
mod state;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use auth_client::{AuthClient, JwksVerifier};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_access_token::AccessTokens;
use gridlink_http::{Application, Metrics, Readiness};

pub use config::Config;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub async fn migrate(config: &Config) -> anyhow::Result<Vec<String>> {
    gridlink_db::run_migrations(&config.database_url, MIGRATIONS).await
}

/// Builds the service: its pool, background event tasks and HTTP server.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let database = gridlink_db::build_pool(&config.database_url, &config.pool)?;
    let verifier = JwksVerifier::new(
        AuthClient::new(config.auth.clone()),
        &config.tokens.issuer,
        &config.tokens.audience,
    );
    let state = web::Data::new(state::AppState {
        pool: database.pool.clone(),
        cursors: config.cursors.clone(),
    });
    let access_tokens = web::Data::new(AccessTokens(Arc::new(verifier)));
    let internal_tokens = web::Data::new(config.internal_tokens.clone());
    let metrics = Metrics::new("grids", Some(database.clone()));
    let mut readiness = Readiness::new().database(database.pool.clone());
    if let Some(settings) = config.events.clone() {
        let consumers = events::consumers(database.pool.clone());
        let event_metrics = gridlink_events::EventMetrics::register(metrics.registry());
        let broker = gridlink_events::start(
            config.database_url.clone(),
            settings,
            consumers,
            event_metrics,
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
    tracing::info!(port = server.port(), "grids service listening");
    Ok(server)
}
