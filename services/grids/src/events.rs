//! What the grids service does with the events it consumes.

use gridlink_db::{DbError, Tx};
use gridlink_ids::UserId;
use gridlink_service::EraseUser;

use crate::db;

/// A deleted user's grids go with them.
pub struct EraseGrids;

impl EraseUser for EraseGrids {
    const SERVICE: &'static str = "grids";

    async fn erase(&self, tx: &mut Tx, user: &UserId) -> Result<(), DbError> {
        db::grids::erase_owner(tx, user).await
    }
}
