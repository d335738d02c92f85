//! The exchange, the consumer queues and their dead-letter queues, declared by
//! code at start-up (idempotently) by every service, so no publish finds an
//! unbound routing key because a consumer has not started yet.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

use crate::settings::BrokerSettings;
use crate::{
    Event, GridChanged, GridDeleted, LinkDeleted, LinksChanged, LinksClicked,
    NotificationRequested, PagesViewed, UserDeleted, UserErased, UserUpdated,
};

/// One consumer queue: its name (before the prefix) and the routing key it binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: &'static str,
    pub routing_key: &'static str,
    /// Deliveries of this queue handled at once by one consumer (within the
    /// prefetch). 1 keeps them in order; a handler that waits on something
    /// slow and independent per message (an SMTP server) takes more.
    pub concurrency: u16,
}

pub const GRIDS_USER_DELETED: QueueSpec = QueueSpec {
    name: "grids.user-deleted",
    routing_key: UserDeleted::TYPE,
    concurrency: 1,
};
pub const LINKS_USER_DELETED: QueueSpec = QueueSpec {
    name: "links.user-deleted",
    routing_key: UserDeleted::TYPE,
    concurrency: 1,
};
pub const LINKS_GRID_DELETED: QueueSpec = QueueSpec {
    name: "links.grid-deleted",
    routing_key: GridDeleted::TYPE,
    concurrency: 1,
};
/// The links service's copy of grid owners and visibility: a changed grid's
/// copy is set aside, and asked for again.
pub const LINKS_GRID_CHANGED: QueueSpec = QueueSpec {
    name: "links.grid-changed",
    routing_key: GridChanged::TYPE,
    concurrency: 1,
};
pub const AUTH_USER_ERASED: QueueSpec = QueueSpec {
    name: "auth.user-erased",
    routing_key: UserErased::TYPE,
    concurrency: 1,
};

/// The gateways' page cache: one queue per event that makes a page stale,
/// shared by every gateway replica (the cache is shared too), durable so
/// that changes made while no gateway runs still clear it.
pub const GATEWAY_USER_UPDATED: QueueSpec = QueueSpec {
    name: "gateway.pages.user-updated",
    routing_key: UserUpdated::TYPE,
    concurrency: 1,
};
pub const GATEWAY_USER_DELETED: QueueSpec = QueueSpec {
    name: "gateway.pages.user-deleted",
    routing_key: UserDeleted::TYPE,
    concurrency: 1,
};
pub const GATEWAY_GRID_CHANGED: QueueSpec = QueueSpec {
    name: "gateway.pages.grid-changed",
    routing_key: GridChanged::TYPE,
    concurrency: 1,
};
pub const GATEWAY_LINKS_CHANGED: QueueSpec = QueueSpec {
    name: "gateway.pages.links-changed",
    routing_key: LinksChanged::TYPE,
    concurrency: 1,
};

/// The analytics service: the gateway's visit batches, and what it erases.
pub const ANALYTICS_LINK_CLICKED: QueueSpec = QueueSpec {
    name: "analytics.link-clicked",
    routing_key: LinksClicked::TYPE,
    concurrency: 1,
};
pub const ANALYTICS_PAGE_VIEWED: QueueSpec = QueueSpec {
    name: "analytics.page-viewed",
    routing_key: PagesViewed::TYPE,
    concurrency: 1,
};
pub const ANALYTICS_USER_DELETED: QueueSpec = QueueSpec {
    name: "analytics.user-deleted",
    routing_key: UserDeleted::TYPE,
    concurrency: 1,
};
pub const ANALYTICS_GRID_DELETED: QueueSpec = QueueSpec {
    name: "analytics.grid-deleted",
    routing_key: GridDeleted::TYPE,
    concurrency: 1,
};
pub const ANALYTICS_LINK_DELETED: QueueSpec = QueueSpec {
    name: "analytics.link-deleted",
    routing_key: LinkDeleted::TYPE,
    concurrency: 1,
};

/// The mailer service: the mail auth asks for, and what it erases.
pub const MAILER_NOTIFICATION_REQUESTED: QueueSpec = QueueSpec {
    name: "mailer.notification-requested",
    routing_key: NotificationRequested::TYPE,
    // Each mail waits on an SMTP round trip of tens of milliseconds.
    concurrency: 8,
};
pub const MAILER_USER_DELETED: QueueSpec = QueueSpec {
    name: "mailer.user-deleted",
    routing_key: UserDeleted::TYPE,
    concurrency: 1,
};

/// Every queue of the system.
pub const QUEUES: [QueueSpec; 16] = [
    GRIDS_USER_DELETED,
    LINKS_USER_DELETED,
    LINKS_GRID_DELETED,
    LINKS_GRID_CHANGED,
    AUTH_USER_ERASED,
    GATEWAY_USER_UPDATED,
    GATEWAY_USER_DELETED,
    GATEWAY_GRID_CHANGED,
    GATEWAY_LINKS_CHANGED,
    ANALYTICS_LINK_CLICKED,
    ANALYTICS_PAGE_VIEWED,
    ANALYTICS_USER_DELETED,
    ANALYTICS_GRID_DELETED,
    ANALYTICS_LINK_DELETED,
    MAILER_NOTIFICATION_REQUESTED,
    MAILER_USER_DELETED,
];

fn long(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.as_bytes().to_vec()))
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

const EXCHANGE_OPTIONS: ExchangeDeclareOptions = ExchangeDeclareOptions {
    passive: false,
    durable: true,
    auto_delete: false,
    internal: false,
    nowait: false,
};

/// Declares the topic exchange alone (what a broadcast follower binds to).
pub async fn declare_exchange(channel: &Channel, settings: &BrokerSettings) -> lapin::Result<()> {
    channel
        .exchange_declare(
            settings.exchange.as_str().into(),
            ExchangeKind::Topic,
            EXCHANGE_OPTIONS,
            FieldTable::default(),
        )
        .await
}

/// Declares the topic exchange, the dead-letter exchange, and every queue with
/// its dead-letter queue. Quorum queues: replicated, with a delivery limit and
/// at-least-once dead-lettering (which needs `overflow=reject-publish`).
pub async fn declare(channel: &Channel, settings: &BrokerSettings) -> lapin::Result<()> {
    let exchange_options = EXCHANGE_OPTIONS;
    declare_exchange(channel, settings).await?;
    let dlx = settings.dead_letter_exchange();
    channel
        .exchange_declare(
            dlx.as_str().into(),
            ExchangeKind::Direct,
            exchange_options,
            FieldTable::default(),
        )
        .await?;

    for spec in QUEUES {
        let queue = settings.queue(spec.name);
        let dead_letters = format!("{queue}.dlq");

        let mut dlq_args = FieldTable::default();
        dlq_args.insert("x-queue-type".into(), long("quorum"));
        channel
            .queue_declare(dead_letters.as_str().into(), durable(), dlq_args)
            .await?;
        channel
            .queue_bind(
                dead_letters.as_str().into(),
                dlx.as_str().into(),
                queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;

        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), long("quorum"));
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(settings.delivery_limit),
        );
        args.insert("x-dead-letter-exchange".into(), long(&dlx));
        args.insert("x-dead-letter-routing-key".into(), long(&queue));
        args.insert("x-dead-letter-strategy".into(), long("at-least-once"));
        args.insert("x-overflow".into(), long("reject-publish"));
        channel
            .queue_declare(queue.as_str().into(), durable(), args)
            .await?;
        channel
            .queue_bind(
                queue.as_str().into(),
                settings.exchange.as_str().into(),
                ShortString::from(spec.routing_key),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Removes everything [`declare`] made (test clean-up).
pub async fn delete(channel: &Channel, settings: &BrokerSettings) -> lapin::Result<()> {
    use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
    for spec in QUEUES {
        let queue = settings.queue(spec.name);
        for name in [queue.clone(), format!("{queue}.dlq")] {
            channel
                .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
    }
    for exchange in [settings.exchange.clone(), settings.dead_letter_exchange()] {
        channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await?;
    }
    Ok(())
}
