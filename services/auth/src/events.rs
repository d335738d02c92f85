//! What the auth service does with the events it consumes.

use gridlink_db::{DbError, Tx};
use gridlink_events::UserErased;
use gridlink_service::Consume;

use crate::db;

/// A service's confirmation that it erased a deleted user's data.
pub struct RecordErasure;

impl Consume for RecordErasure {
    type Event = UserErased;

    async fn consume(&self, tx: &mut Tx, event: UserErased) -> Result<(), DbError> {
        db::erasures::record(tx, &event).await?;
        tracing::info!(user.id = %event.user_id, service = %event.service, "erasure confirmed");
        Ok(())
    }
}
