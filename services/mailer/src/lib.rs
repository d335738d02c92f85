//! The mailer service: sends the mail the auth service asks for
//! (`notification.requested`), rendered from its templates in plain text
//! and HTML, over SMTP, once per event. It keeps a send log (event id,
//! template, recipient, status), never a body or a token, and erases a
//! deleted user's log.

pub mod config;
mod db;
mod deliver;
mod events;
pub mod openapi;
mod routes;
mod smtp;
pub mod templates;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use gridlink_db::Database;
use gridlink_events::topology::{MAILER_NOTIFICATION_REQUESTED, MAILER_USER_DELETED};
use gridlink_service::{Application, Erasure, Kit, Spec, consume_once};

pub use config::Config;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub const SPEC: Spec = Spec {
    name: "mailer",
    port: 8085,
    admin_port: 9085,
    migrations: Some(gridlink_db::Migrations(&MIGRATIONS)),
};

/// What every handler shares.
pub struct AppState {
    pub db: Database,
}

/// Builds the service: its pool, its consumers and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let kit = Kit::new(&SPEC, config.kit)?;
    let db = kit.database().clone();
    let deliverer = deliver::Deliverer {
        db: db.clone(),
        smtp: smtp::Smtp::new(&config.smtp)?,
        retry_max: config.smtp.retry_max,
    };
    kit.data(AppState { db: db.clone() })
        .consumer(deliver::handler(MAILER_NOTIFICATION_REQUESTED, deliverer))
        .consumer(consume_once(
            MAILER_USER_DELETED,
            db,
            Erasure(events::EraseSendLog),
        ))
        .serve(routes::configure)
}

gridlink_service::service! {
    /// The mailer service, as its binary runs it.
    pub struct Mailer { spec: SPEC, config: Config, build: build }
}
