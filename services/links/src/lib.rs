//! The links service: the ordered entries of grids, positions kept dense and
//! unique under concurrent writes, ranked full-text search over a user's own
//! links, and one-query batches of many grids' links for the gateway's
//! profile page. Grid ownership and visibility come from the grids service;
//! reads use the service's own copy of them while `grid.changed` feeds it.

mod api;
pub mod config;
mod db;
mod domain;
mod events;
mod grid_copies;
mod heads;
pub mod openapi;
mod routes;
mod state;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_events::topology::{LINKS_GRID_CHANGED, LINKS_GRID_DELETED, LINKS_USER_DELETED};
use gridlink_service::{Application, Erasure, Kit, Spec, consume_once};
use grids_client::GridsClient;

pub use config::Config;
pub use grid_copies::CopySettings;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "links",
    port: 8083,
    admin_port: 9083,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// Builds the service: its pool, consumers and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    let copies = grid_copies::GridCopies::new(config.grid_copies, kit.broker());
    kit.data(state::AppState {
        db: db.clone(),
        writes: db::links::Writes::new(db.clone(), config.grid_wait),
        cursors: config.cursors,
        grids: GridsClient::new(config.grids),
        copies,
    })
    .access_tokens(config.tokens.verifier(), config.tokens.revocation_source())
    .consumer(consume_once(
        LINKS_USER_DELETED,
        db.clone(),
        Erasure(events::EraseLinks),
    ))
    .consumer(consume_once(
        LINKS_GRID_DELETED,
        db.clone(),
        events::RetireGrid,
    ))
    .consumer(consume_once(LINKS_GRID_CHANGED, db, events::SetAsideGrid))
    .serve(routes::configure)
}

gridlink_service::service! {
    /// The links service, as its binary runs it.
    pub struct Links { spec: SPEC, config: Config, build: build }
}
