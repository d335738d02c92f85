//! Isolated databases for tests: each `TestDatabase` is a fresh database on the
//! server named by `TEST_DATABASE_SERVER` (default the local one), migrated, and
//! dropped again when the value is dropped.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::RunQueryDsl;
use gridlink_config::Secret;

pub struct TestDatabase {
    pub name: String,
    pub url: Secret,
    server: String,
}

fn server() -> String {
    gridlink_config::string("TEST_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
}

impl TestDatabase {
    /// Creates `gltest_<prefix>_<random>` and runs `migrations` on it.
    pub async fn create<M>(prefix: &str, migrations: M) -> Self
    where
        M: MigrationSource<Pg> + Send + 'static,
    {
        let server = server();
        let name = format!("gltest_{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = crate::connect(&Secret::new(format!("{server}/postgres")))
            .await
            .expect("the test PostgreSQL server is reachable");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("test database can be created");
        let url = Secret::new(format!("{server}/{name}"));
        crate::run_migrations(&url, migrations)
            .await
            .expect("migrations apply to a fresh database");
        Self { name, url, server }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = Secret::new(format!("{}/postgres", self.server));
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime; a fresh one on its own thread
        // avoids blocking it. Failures only leave a database behind, which
        // `make test` sweeps before each run.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let mut admin = crate::connect(&admin_url).await.ok()?;
                diesel::sql_query(sql).execute(&mut admin).await.ok()
            })
        })
        .join();
    }
}
