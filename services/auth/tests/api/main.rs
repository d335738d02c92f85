//! The auth service over real HTTP against a real PostgreSQL database: every
//! test starts its own server on a random port with its own fresh database.

mod accounts;
mod client;
mod deletion;
mod helpers;
mod internal;
mod openapi;
mod ops;
mod routing;
mod session_list;
mod sessions;
mod signup;
mod throttling;
mod token_forgery;
