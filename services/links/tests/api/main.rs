//! The links service over HTTP, with real auth and grids services and real
//! PostgreSQL databases (fresh ones for every test).

mod client;
mod crud;
mod dependencies;
mod heads;
mod helpers;
mod lifecycle;
mod openapi;
mod ordering;
mod ownership;
mod queries;
mod reading;
