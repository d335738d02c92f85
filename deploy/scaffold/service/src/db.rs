//! Every query the __name__ service runs, in one place.

use chrono::{DateTime, Utc};
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gridlink_db::DbError;

#[derive(diesel::QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// The database's clock: proof that the service reaches its database.
pub async fn now(conn: &mut AsyncPgConnection) -> Result<DateTime<Utc>, DbError> {
    let row: Now = diesel::sql_query("SELECT now() AS now")
        .get_result(conn)
        .await?;
    Ok(row.now)
}
