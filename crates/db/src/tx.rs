//! A transaction that is an object: begun on a pooled connection, committed
//! explicitly, and rolled back when dropped uncommitted (an early `?`, a
//! refused write). Queries run on it as on a connection.

use std::ops::{Deref, DerefMut};

use diesel_async::{AsyncConnection, AsyncPgConnection, TransactionManager};

use crate::{DbError, PooledConnection};

type Manager = <AsyncPgConnection as AsyncConnection>::TransactionManager;

pub struct Tx {
    conn: Option<PooledConnection<AsyncPgConnection>>,
}

impl Tx {
    pub(crate) async fn begin(
        mut conn: PooledConnection<AsyncPgConnection>,
    ) -> Result<Self, DbError> {
        Manager::begin_transaction(&mut *conn).await?;
        Ok(Self { conn: Some(conn) })
    }

    /// Commits; on failure the transaction is gone and nothing was written.
    pub async fn commit(mut self) -> Result<(), DbError> {
        let mut conn = self
            .conn
            .take()
            .expect("a transaction has its connection until it ends");
        Manager::commit_transaction(&mut *conn).await?;
        Ok(())
    }

    fn conn(&mut self) -> &mut AsyncPgConnection {
        self.conn
            .as_deref_mut()
            .expect("a transaction has its connection until it ends")
    }
}

impl Deref for Tx {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        self.conn
            .as_deref()
            .expect("a transaction has its connection until it ends")
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        self.conn()
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        // Roll back on the runtime so the connection goes back to the pool
        // clean. Without a runtime it is dropped still in its transaction,
        // and the pool discards such a connection (the server rolls back).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = Manager::rollback_transaction(&mut *conn).await {
                    tracing::warn!(error = %e, "rolling back an abandoned transaction failed");
                }
            });
        }
    }
}
