//! Every query the links service runs, in one place.

pub mod grid_copies;
pub mod heads;
pub mod links;
pub mod schema;

pub use diesel_async::AsyncPgConnection as Conn;
