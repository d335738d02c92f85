//! The mailer service over HTTP, with a real PostgreSQL database (a fresh
//! one for every test).

mod helpers;
mod openapi;
mod status;
