//! Every query the grids service runs, in one place.

pub mod grids;
pub mod schema;

pub use diesel_async::AsyncPgConnection as Conn;
