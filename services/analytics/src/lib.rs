//! The analytics service: counts every view of a profile or grid page and
//! every click through `/r/{slug}`, from the gateway's batched events (each
//! batch counted once), in quarter-hour buckets, and answers the owner's
//! statistics in the time zone they choose. It keeps no address and no user
//! agent: visitors are keyed hashes under a secret that lived one day.

pub mod config;
mod db;
mod events;
pub mod openapi;
mod routes;

use std::collections::HashSet;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_db::{Database, DbError};
use gridlink_events::topology::{
    ANALYTICS_GRID_DELETED, ANALYTICS_LINK_CLICKED, ANALYTICS_LINK_DELETED, ANALYTICS_PAGE_VIEWED,
    ANALYTICS_USER_DELETED,
};
use gridlink_service::{Application, Erasure, Kit, Spec, consume_once};
use grids_client::GridsClient;
use links_client::LinksClient;
use tokio::sync::OnceCell;

pub use config::Config;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "analytics",
    port: 8084,
    admin_port: 9084,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    /// Whose links are whose (and whether they exist).
    pub links: LinksClient,
    pub grids: GridsClient,
    /// The time zone names the database knows, read once.
    zones: OnceCell<HashSet<String>>,
}

impl AppState {
    /// Whether `zone` is a time zone the database knows.
    pub async fn zones(&self, zone: &str) -> Result<bool, DbError> {
        let zones = self
            .zones
            .get_or_try_init(|| async {
                let mut conn = self.db.conn().await?;
                Ok::<_, DbError>(db::zones(&mut conn).await?.into_iter().collect())
            })
            .await?;
        Ok(zones.contains(zone))
    }
}

/// Builds the service: its pool, its consumers and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    kit.data(AppState {
        db: db.clone(),
        links: LinksClient::new(config.links),
        grids: GridsClient::new(config.grids),
        zones: OnceCell::new(),
    })
    .access_tokens(config.tokens.verifier(), config.tokens.revocation_source())
    .consumer(consume_once(
        ANALYTICS_LINK_CLICKED,
        db.clone(),
        events::CountClicks,
    ))
    .consumer(consume_once(
        ANALYTICS_PAGE_VIEWED,
        db.clone(),
        events::CountViews,
    ))
    .consumer(consume_once(
        ANALYTICS_USER_DELETED,
        db.clone(),
        Erasure(events::EraseCounts),
    ))
    .consumer(consume_once(
        ANALYTICS_GRID_DELETED,
        db.clone(),
        events::EraseGrid,
    ))
    .consumer(consume_once(ANALYTICS_LINK_DELETED, db, events::EraseLink))
    .serve(routes::configure)
}

gridlink_service::service! {
    /// The analytics service, as its binary runs it.
    pub struct Analytics { spec: SPEC, config: Config, build: build }
}
