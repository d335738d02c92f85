//! Every query the auth service runs, in one place.

pub mod devices;
pub mod email_tokens;
pub mod erasures;
pub mod identities;
pub mod mfa;
pub mod schema;
pub mod sessions;
pub mod throttle;
pub mod users;

pub use diesel_async::AsyncPgConnection as Conn;
