//! The grids service over HTTP, with tokens signed as the auth service signs
//! them and real PostgreSQL databases (fresh ones for every test).

mod crud;
mod dependencies;
mod helpers;
mod internal;
mod openapi;
mod ownership;
mod pagination;
mod queries;
