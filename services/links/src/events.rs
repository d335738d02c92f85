//! What the links service does with the events it consumes.

use std::sync::Arc;

use gridlink_db::PgPool;
use gridlink_events::consumer::{Handler, HandlerError, Message};
use gridlink_events::topology::{LINKS_GRID_DELETED, LINKS_USER_DELETED, QueueSpec};
use gridlink_events::{Event, GridDeleted, UserDeleted};

use crate::db;

pub fn consumers(pool: PgPool) -> Vec<(QueueSpec, Handler)> {
    let users = pool.clone();
    let user_deleted: Handler = Arc::new(move |message| {
        let pool = users.clone();
        Box::pin(async move { user_deleted(&pool, message).await })
    });
    let grid_deleted: Handler = Arc::new(move |message| {
        let pool = pool.clone();
        Box::pin(async move { grid_deleted(&pool, message).await })
    });
    vec![
        (LINKS_USER_DELETED, user_deleted),
        (LINKS_GRID_DELETED, grid_deleted),
    ]
}

async fn connection(
    pool: &PgPool,
) -> Result<gridlink_db::PooledConnection<diesel_async::AsyncPgConnection>, HandlerError> {
    pool.get()
        .await
        .map_err(|e| HandlerError::Transient(e.into()))
}

/// Erase every link the deleted user owned, using only this service's data.
async fn user_deleted(pool: &PgPool, message: Message) -> Result<(), HandlerError> {
    let event: UserDeleted = message.decode(UserDeleted::TYPE)?;
    if db::links::erase_user(&mut *connection(pool).await?, &event).await? {
        tracing::info!(user.id = %event.user_id, "erased the deleted user's links");
    }
    Ok(())
}

/// Retire the links of a deleted grid.
async fn grid_deleted(pool: &PgPool, message: Message) -> Result<(), HandlerError> {
    let event: GridDeleted = message.decode(GridDeleted::TYPE)?;
    let retired = db::links::retire_grid(&mut *connection(pool).await?, &event).await?;
    tracing::info!(grid = %event.grid, retired, "retired the deleted grid's links");
    Ok(())
}
