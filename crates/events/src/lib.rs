//! Gridlink's events: the message catalogue shared by publishers and consumers,
//! and the transactional outbox every publisher writes them through.

pub mod catalog;
pub mod outbox;

pub use catalog::{Event, GridDeleted, UserDeleted};
