//! What the mailer does with a deleted user: their send log goes.

use gridlink_db::{DbError, Tx};
use gridlink_ids::UserId;
use gridlink_service::EraseUser;

use crate::db;

pub struct EraseSendLog;

impl EraseUser for EraseSendLog {
    const SERVICE: &'static str = "mailer";

    async fn erase(&self, tx: &mut Tx, user: &UserId) -> Result<(), DbError> {
        db::erase(tx, user).await
    }
}
