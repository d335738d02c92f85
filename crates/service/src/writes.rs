//! Writes on behalf of a user, without racing that user's erasure.
//!
//! When `user.deleted` arrives, the consumer takes an exclusive per-user lock,
//! records the user as erased and deletes their rows, all in one transaction
//! ([`crate::erasure`]). A write on behalf of a user opens its transaction
//! through [`UserTx::begin`], which takes the same lock shared and refuses
//! once the user is erased. So a write either commits before the erasure (and
//! is erased with the rest) or is refused: a token that is still valid cannot
//! leave data behind.
//!
//! A service's queries that write a user's data take a `&mut UserTx`, so
//! there is no way to run them without the guard.

use std::ops::{Deref, DerefMut};

use diesel_async::AsyncPgConnection;
use gridlink_db::{Database, DbError, Tx};
use gridlink_ids::UserId;
use gridlink_problem::ApiError;

/// Why a user's write could not begin (or went on to fail).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The user's data was erased: their account is gone.
    #[error("the account no longer exists")]
    AccountGone,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for WriteError {
    #[track_caller]
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::from(error))
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::AccountGone => ApiError::AccountGone,
            WriteError::Db(e) => e.into(),
        }
    }
}

/// A transaction that writes one user's data, holding that user's writer lock.
pub struct UserTx {
    tx: Tx,
    user: UserId,
}

impl UserTx {
    /// Begins the transaction, takes `user`'s writer lock and refuses when
    /// the user's data was erased.
    pub async fn begin(database: &Database, user: &UserId) -> Result<Self, WriteError> {
        let mut tx = database.begin().await?;
        let erased = gridlink_events::erasure::lock_as_writer(&mut tx, user)
            .await
            .map_err(DbError::from)?;
        if erased {
            return Err(WriteError::AccountGone);
        }
        Ok(Self {
            tx,
            user: user.clone(),
        })
    }

    /// The user the transaction writes for.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await
    }
}

impl Deref for UserTx {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.tx
    }
}

impl DerefMut for UserTx {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.tx
    }
}
