//! What the links service does with the events it consumes.

use gridlink_db::{DbError, Tx};
use gridlink_events::{GridChanged, GridDeleted};
use gridlink_ids::UserId;
use gridlink_service::{Consume, EraseUser};

use crate::db;

/// Every link a deleted user owned goes, found by this service's data alone.
pub struct EraseLinks;

impl EraseUser for EraseLinks {
    const SERVICE: &'static str = "links";

    async fn erase(&self, tx: &mut Tx, user: &UserId) -> Result<(), DbError> {
        db::links::erase_owner(tx, user).await
    }
}

/// A deleted grid's links are retired.
pub struct RetireGrid;

impl Consume for RetireGrid {
    type Event = GridDeleted;

    async fn consume(&self, tx: &mut Tx, event: GridDeleted) -> Result<(), DbError> {
        let retired = db::links::retire_grid(tx, &event).await?;
        tracing::info!(grid = %event.grid, retired, "retired the deleted grid's links");
        Ok(())
    }
}

/// A changed grid's copy is set aside: the next read asks the grids service.
pub struct SetAsideGrid;

impl Consume for SetAsideGrid {
    type Event = GridChanged;

    async fn consume(&self, tx: &mut Tx, event: GridChanged) -> Result<(), DbError> {
        db::grid_copies::invalidate(tx, &event.grid, chrono::Utc::now()).await
    }
}
