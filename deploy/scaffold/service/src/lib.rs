//! The __name__ service. (Made by `make new-service`: say here what it does.)

pub mod config;
mod db;
pub mod openapi;
mod routes;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_db::Database;
use gridlink_service::{Application, Kit, KitConfig, Service, Spec};

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

pub struct __Name__;

impl Service for __Name__ {
    const SPEC: Spec = SPEC;
    type Config = Config;

    fn config() -> Result<Config, gridlink_config::ConfigError> {
        Config::from_env()
    }

    fn kit_config(config: &Config) -> &KitConfig {
        &config.kit
    }

    fn build(config: Config) -> impl Future<Output = anyhow::Result<Application>> + Send {
        build(config)
    }
}
