//! The services together, end to end, in one test binary: real PostgreSQL,
//! RabbitMQ and Redis, each test with its own databases, exchange and queues.
//! (The tracing test has a binary of its own: it installs a process-wide
//! tracer provider.)

mod abuse;
mod analytics;
mod clients;
mod contention;
mod crashes;
mod events;
mod faults;
mod gateway;
mod grid_copies;
mod pages;
mod recovery;
mod sessions;
