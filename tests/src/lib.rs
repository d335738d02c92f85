//! Harness for end-to-end tests: the auth, grids and links services running
//! together in this process (or one as its own binary, for kill tests), each
//! on its own fresh database, sharing an exchange and queues no other test
//! uses; a fault-injection TCP proxy; a RabbitMQ node a test may restart; and
//! the figures the reliability tests report.

pub mod accounts;
pub mod broker_node;
pub mod figures;
pub mod maildev;
pub mod openapi;
pub mod proxy;
pub mod qr;
pub mod stack;
