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

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_events::topology::GRIDS_USER_DELETED;
use gridlink_service::{Application, Erasure, Kit, Spec, consume_once};

pub use config::Config;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "grids",
    port: 8082,
    admin_port: 9082,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// Builds the service: its pool, consumers and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    kit.data(state::AppState {
        db: db.clone(),
        cursors: config.cursors,
    })
    .access_tokens(config.tokens.verifier(), config.tokens.revocation_source())
    .consumer(consume_once(
        GRIDS_USER_DELETED,
        db,
        Erasure(events::EraseGrids),
    ))
    .serve(routes::configure)
}

gridlink_service::service! {
    /// The grids service, as its binary runs it.
    pub struct Grids { spec: SPEC, config: Config, build: build }
}
