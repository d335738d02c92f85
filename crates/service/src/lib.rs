//! The service kit: what every Gridlink service is made of, so a service
//! crate holds only its own routes, domain, queries and migrations.
//!
//! - [`Service`] and [`main`]: the binary's commands (`serve`, `migrate`,
//!   `probe`), telemetry, the runtime; a service's `main.rs` is one call.
//! - [`Kit`]: the builder that binds the API and the admin listener with the
//!   shared middleware, probes, fallbacks and limits, starts the outbox relay
//!   and the consumers, and shuts down gracefully on SIGTERM.
//! - [`UserTx`]: the only way to open a transaction that writes a user's data.
//! - [`consume_once`] and [`Erasure`]: idempotent consumers and the erasure of
//!   a deleted user's data.
//! - [`Pager`] and [`CursorCodec`]: keyset pagination with opaque cursors.
//! - [`dependency_failed`]: the answer when another service fails.
//! - [`Gates`]: writers of one busy object queue in the process, bounded, not
//!   holding database connections.
//! - [`Kit::revocable`]: access tokens of ended sessions are refused within a
//!   second ([`revocations`]).
//!
//! Linking the kit also makes mimalloc the binary's allocator (glibc malloc
//! showed up as ~15% of the services' CPU under load).

mod cli;
mod config;
mod consume;
mod cursor;
mod dependency;
mod gates;
mod pager;
pub mod revocations;
mod server;
mod writes;

#[doc(hidden)]
pub use anyhow;
pub use cli::{Service, main, migrate};
pub use config::{DatabaseSettings, HttpSettings, KitConfig};
pub use consume::{Consume, EraseUser, Erasure, consume_once};
pub use cursor::{CursorCodec, CursorError};
pub use dependency::dependency_failed;
pub use gates::{Busy, GateGuard, Gates};
pub use gridlink_config::ConfigError;
pub use pager::{Page, Pager, first_rows};
pub use revocations::RevocationSource;
pub use server::{AppHandle, Application, KEEP_ALIVE, Kit};
pub use writes::{UserTx, WriteError};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a service is, before any configuration: its name, its default ports
/// and, when it has a database, its migrations.
#[derive(Clone, Copy)]
pub struct Spec {
    /// `auth`, `grids`, ...: in logs, metrics, and the default database name
    /// (`gridlink_<name>`).
    pub name: &'static str,
    /// Default port of the API (`<NAME>_ADDR` overrides).
    pub port: u16,
    /// Default port of the admin listener (`ADMIN_ADDR` overrides).
    pub admin_port: u16,
    pub migrations: Option<gridlink_db::Migrations>,
}

impl Spec {
    /// The variable that sets the API's address, e.g. `GRIDS_ADDR`.
    pub fn addr_var(&self) -> String {
        format!("{}_ADDR", self.name.to_ascii_uppercase())
    }
}
