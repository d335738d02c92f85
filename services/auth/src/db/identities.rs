//! Usernames and emails of deleted accounts, held back from signups for a
//! while, kept only as keyed hashes and forgotten when the hold ends.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use gridlink_db::DbError;

use super::Conn;
use super::schema::retired_identities;

/// Holds `digests` back until `until`.
pub async fn retire(
    conn: &mut Conn,
    digests: &[Vec<u8>],
    until: DateTime<Utc>,
) -> Result<(), DbError> {
    let rows: Vec<_> = digests
        .iter()
        .map(|digest| {
            (
                retired_identities::digest.eq(digest),
                retired_identities::retired_until.eq(until),
            )
        })
        .collect();
    diesel::insert_into(retired_identities::table)
        .values(rows)
        .on_conflict(retired_identities::digest)
        .do_update()
        .set(retired_identities::retired_until.eq(excluded(retired_identities::retired_until)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `digests` are held back now. Forgets the holds that ended.
pub async fn held(conn: &mut Conn, digests: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, DbError> {
    diesel::delete(
        retired_identities::table.filter(retired_identities::retired_until.le(diesel::dsl::now)),
    )
    .execute(conn)
    .await?;
    Ok(retired_identities::table
        .filter(retired_identities::digest.eq_any(digests))
        .select(retired_identities::digest)
        .load(conn)
        .await?)
}
