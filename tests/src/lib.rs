//! Harness for end-to-end tests: the auth, grids and links services running
//! together in this process, each on its own fresh database, sharing an
//! exchange and queues no other test uses; and a TCP proxy that can cut a
//! service's connection to the broker.

pub mod openapi;
pub mod proxy;
pub mod stack;
