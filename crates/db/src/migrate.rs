//! Embedded migrations, run by `<service> migrate` and by tests.

use anyhow::Context;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel::{Connection, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::MigrationHarness;
use gridlink_config::Secret;

/// Advisory lock key under which migrations run: replicas starting together
/// queue behind one another instead of racing on the same DDL.
const MIGRATION_LOCK: i64 = 0x6772_6964_6c69_6e6b; // "gridlink"

/// Runs every pending migration, holding a session advisory lock meanwhile.
/// Returns the versions that were applied. Diesel's harness is synchronous, so
/// it runs on a blocking thread (which also works under a current-thread runtime).
pub async fn run_migrations<M>(url: &Secret, migrations: M) -> anyhow::Result<Vec<String>>
where
    M: MigrationSource<Pg> + Send + 'static,
{
    let url = url.clone();
    tokio::task::spawn_blocking(move || migrate_blocking(&url, migrations))
        .await
        .context("migration task panicked")?
}

fn migrate_blocking<M: MigrationSource<Pg>>(
    url: &Secret,
    migrations: M,
) -> anyhow::Result<Vec<String>> {
    let mut conn =
        <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(url.expose())
            .context("could not connect to the database to migrate it")?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .context("could not take the migration lock")?;
    let applied = conn
        .run_pending_migrations(migrations)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .execute(&mut conn);
    applied
}

/// A service's embedded migrations, by reference, so a `const` can name them.
#[derive(Clone, Copy)]
pub struct Migrations(pub &'static diesel_migrations::EmbeddedMigrations);

impl MigrationSource<Pg> for Migrations {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        MigrationSource::<Pg>::migrations(self.0)
    }
}
