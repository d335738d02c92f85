//! Every query the auth service runs, in one place.

pub mod erasures;
pub mod schema;
pub mod sessions;
pub mod throttle;
pub mod users;

pub use diesel_async::AsyncPgConnection as Conn;
