//! What the grids service does with the events it consumes.

use std::sync::Arc;

use gridlink_db::PgPool;
use gridlink_events::consumer::{Handler, HandlerError, Message};
use gridlink_events::topology::{GRIDS_USER_DELETED, QueueSpec};
use gridlink_events::{Event, UserDeleted};

use crate::db;

pub fn consumers(pool: PgPool) -> Vec<(QueueSpec, Handler)> {
    let handler: Handler = Arc::new(move |message| {
        let pool = pool.clone();
        Box::pin(async move { user_deleted(&pool, message).await })
    });
    vec![(GRIDS_USER_DELETED, handler)]
}

/// Erase the deleted user's grids.
async fn user_deleted(pool: &PgPool, message: Message) -> Result<(), HandlerError> {
    let event: UserDeleted = message.decode(UserDeleted::TYPE)?;
    let mut conn = pool
        .get()
        .await
        .map_err(|e| HandlerError::Transient(e.into()))?;
    if db::grids::erase_user(&mut conn, &event).await? {
        tracing::info!(user.id = %event.user_id, "erased the deleted user's grids");
    }
    Ok(())
}
