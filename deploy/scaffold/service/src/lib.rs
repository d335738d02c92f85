//! The __name__ service. (Made by `make new-service`: say here what it does.)

pub mod config;
mod db;
pub mod openapi;
mod routes;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_db::Database;
use gridlink_service::{Application, Kit, Spec};

pub use config::Config;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "__name__",
    port: __port__,
    admin_port: __admin_port__,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// What every handler shares.
pub struct AppState {
    pub db: Database,
}

/// Builds the service: its pool, its consumers (none yet) and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    kit.data(AppState { db }).serve(routes::configure)
}

gridlink_service::service! {
    /// The __name__ service, as its binary runs it.
    pub struct __Name__ { spec: SPEC, config: Config, build: build }
}
