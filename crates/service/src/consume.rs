//! Consuming events exactly once in effect: each delivery is decoded, its
//! event id recorded and its work done in one transaction, which commits
//! before the delivery is acknowledged. A redelivery finds the id recorded
//! and does nothing.

use std::sync::Arc;

use gridlink_db::{Database, DbError, Tx};
use gridlink_events::consumer::{Handler, HandlerError};
use gridlink_events::topology::QueueSpec;
use gridlink_events::{Event, UserDeleted, UserErased};
use gridlink_ids::UserId;
use serde::de::DeserializeOwned;

/// What a service does with one kind of event, inside the transaction that
/// also records the event as processed.
pub trait Consume: Send + Sync + 'static {
    type Event: Event + DeserializeOwned + Send + 'static;

    fn consume(
        &self,
        tx: &mut Tx,
        event: Self::Event,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// The handler for `queue`: decode, record the event id, run `consumer`,
/// commit. A payload that is not the queue's event is dead-lettered; a
/// failure that may pass (the database is down) is retried.
pub fn consume_once<C: Consume>(
    queue: QueueSpec,
    database: Database,
    consumer: C,
) -> (QueueSpec, Handler) {
    let consumer = Arc::new(consumer);
    let handler: Handler = Arc::new(move |message| {
        let (database, consumer) = (database.clone(), consumer.clone());
        Box::pin(async move {
            let event: C::Event = message.decode(C::Event::TYPE)?;
            let event_id = event.event_id();
            let mut tx = database.begin().await.map_err(transient)?;
            let first = gridlink_events::idempotency::first_delivery(&mut tx, event_id)
                .await
                .map_err(|e| transient(e.into()))?;
            if !first {
                tracing::debug!(event.id = %event_id, "already processed; acknowledging");
                return Ok(());
            }
            consumer.consume(&mut tx, event).await.map_err(transient)?;
            tx.commit().await.map_err(transient)
        })
    });
    (queue, handler)
}

fn transient(error: DbError) -> HandlerError {
    HandlerError::Transient(error.into())
}

/// A service's part of erasing a deleted user: delete every row it keeps of
/// them (found by its own data alone). [`Erasure`] does the rest.
pub trait EraseUser: Send + Sync + 'static {
    /// The name the service confirms with (`user.erased.v1`'s `service`).
    const SERVICE: &'static str;

    fn erase(&self, tx: &mut Tx, user: &UserId)
    -> impl Future<Output = Result<(), DbError>> + Send;
}

/// Consumes `user.deleted`: locks the user out of new writes (see
/// [`crate::UserTx`]), records them as erased, lets the service delete
/// their rows, and confirms with `user.erased` through the outbox, all in
/// one transaction.
pub struct Erasure<E>(pub E);

impl<E: EraseUser> Consume for Erasure<E> {
    type Event = UserDeleted;

    async fn consume(&self, tx: &mut Tx, event: UserDeleted) -> Result<(), DbError> {
        gridlink_events::erasure::lock_for_erasure(tx, &event.user_id).await?;
        self.0.erase(tx, &event.user_id).await?;
        gridlink_events::outbox::enqueue(tx, &UserErased::new(event.user_id.clone(), E::SERVICE))
            .await?;
        tracing::info!(user.id = %event.user_id, service = E::SERVICE, "erased the deleted user's data");
        Ok(())
    }
}
