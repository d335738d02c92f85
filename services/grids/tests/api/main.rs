//! The grids service over HTTP, with a real auth service issuing the tokens and
//! real PostgreSQL databases (fresh ones for every test).

mod crud;
mod helpers;
mod internal;
mod openapi;
mod ownership;
mod pagination;
mod queries;
