//! Raw SQL that each connection prepares once.
//!
//! Diesel prepares a statement once per connection and keeps it when it can
//! prove the statement's text is one of a bounded set. It cannot prove that
//! for `sql_query` (the text may have been formatted at run time), so every
//! raw statement is parsed, planned and described anew, which costs a second
//! round trip and the planning each time. [`prepared`] takes the text as a
//! `&'static str` and marks it safe to keep: a constant is one statement.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId, SqlQuery};

/// A raw statement with its binds, kept prepared on the connection.
#[must_use = "queries run only when loaded or executed"]
pub struct Prepared<Q>(Q);

/// `sql` with the binds `bind` adds (`|q| q.bind::<Text, _>(x)`), prepared
/// once per connection and kept.
pub fn prepared<Q>(sql: &'static str, bind: impl FnOnce(SqlQuery) -> Q) -> Prepared<Q> {
    Prepared(bind(diesel::sql_query(sql)))
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// The text is a constant (see [`prepared`]), so keeping its statement
    /// adds one entry per call site, not one per call.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    // No type-level id: the statement is kept under its text.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel::sql_types::{BigInt, Integer, Text};
    use diesel_async::{AsyncPgConnection, RunQueryDsl};
    use gridlink_config::Secret;

    use super::prepared;

    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = Integer)]
        n: i32,
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }

    /// How many statements with `sql` this connection keeps prepared.
    async fn kept(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
        let Count { count } = diesel::sql_query(
            "SELECT count(*) AS count FROM pg_prepared_statements WHERE statement = $1",
        )
        .bind::<Text, _>(sql)
        .get_result(conn)
        .await
        .expect("pg_prepared_statements is readable");
        count
    }

    #[tokio::test]
    async fn a_prepared_statement_is_prepared_once_per_connection_and_raw_sql_every_time() {
        let server =
            gridlink_config::string("TEST_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432");
        let mut conn = crate::connect(&Secret::new(format!("{server}/postgres")))
            .await
            .expect("the test PostgreSQL server is reachable");

        const KEPT: &str = "SELECT $1::int4 + 1 AS n";
        const RAW: &str = "SELECT $1::int4 + 2 AS n";
        for i in 0..3 {
            let Number { n } = prepared(KEPT, |q| q.bind::<Integer, _>(i))
                .get_result(&mut conn)
                .await
                .expect("the prepared statement runs");
            assert_eq!(n, i + 1, "each call binds its own values");
            let Number { n } = diesel::sql_query(RAW)
                .bind::<Integer, _>(i)
                .get_result(&mut conn)
                .await
                .expect("the raw statement runs");
            assert_eq!(n, i + 2);
        }
        assert_eq!(kept(&mut conn, KEPT).await, 1, "kept once, reused twice");
        assert_eq!(
            kept(&mut conn, RAW).await,
            0,
            "raw SQL is closed after each run"
        );
    }
}
