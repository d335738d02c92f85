//! What the auth service does with the events it consumes.

use std::sync::Arc;

use gridlink_db::PgPool;
use gridlink_events::consumer::{Handler, HandlerError};
use gridlink_events::topology::{AUTH_USER_ERASED, QueueSpec};
use gridlink_events::{Event, UserErased};

use crate::db;

pub fn consumers(pool: PgPool) -> Vec<(QueueSpec, Handler)> {
    let handler: Handler = Arc::new(move |message| {
        let pool = pool.clone();
        Box::pin(async move {
            let event: UserErased = message.decode(UserErased::TYPE)?;
            let mut conn = pool
                .get()
                .await
                .map_err(|e| HandlerError::Transient(e.into()))?;
            db::erasures::record(&mut conn, &event).await?;
            tracing::info!(user.id = %event.user_id, service = %event.service, "erasure confirmed");
            Ok(())
        })
    });
    vec![(AUTH_USER_ERASED, handler)]
}
