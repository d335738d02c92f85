//! Every query the mailer service runs, in one place: the send log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gridlink_db::DbError;
use gridlink_events::NotificationRequested;
use gridlink_ids::UserId;
use uuid::Uuid;

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

/// What became of a claim on an event's mail.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This replica sends it now.
    Ours,
    /// It was sent, or settled for good, already; or its user is erased.
    Settled,
    /// Another delivery claimed it less than `stale` ago and may be sending it.
    Busy,
}

#[derive(diesel::QueryableByName)]
struct Status {
    #[diesel(sql_type = Text)]
    status: String,
}

/// Claims the mail of `request`: a new event, or one whose claim went stale
/// (its sender died before settling it), is ours.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    request: &NotificationRequested,
    stale: Duration,
) -> Result<Claim, DbError> {
    let claimed = diesel::sql_query(
        "INSERT INTO sends (event_id, user_id, template, recipient, status)
         SELECT $1, $2, $3, $4, 'sending'
         WHERE NOT EXISTS (SELECT 1 FROM erased_users WHERE user_id = $2)
         ON CONFLICT (event_id) DO UPDATE
            SET claimed_at = now(), attempts = sends.attempts + 1
            WHERE sends.status = 'sending'
              AND sends.claimed_at < now() - make_interval(secs => $5)
         RETURNING status",
    )
    .bind::<SqlUuid, _>(request.event_id)
    .bind::<Text, _>(request.user_id.as_str())
    .bind::<Text, _>(request.template.name())
    .bind::<Text, _>(&request.to)
    .bind::<diesel::sql_types::Double, _>(stale.as_secs_f64())
    .get_results::<Status>(conn)
    .await?;
    if !claimed.is_empty() {
        return Ok(Claim::Ours);
    }
    let status = diesel::sql_query("SELECT status FROM sends WHERE event_id = $1")
        .bind::<SqlUuid, _>(request.event_id)
        .get_results::<Status>(conn)
        .await?;
    Ok(match <[Status]>::first(&status) {
        Some(row) if row.status == "sending" => Claim::Busy,
        _ => Claim::Settled,
    })
}

/// Keeps our claim fresh while we wait for the SMTP server.
pub async fn keep_claim(conn: &mut AsyncPgConnection, event_id: Uuid) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE sends SET claimed_at = now(), attempts = attempts + 1
         WHERE event_id = $1 AND status = 'sending'",
    )
    .bind::<SqlUuid, _>(event_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How a claimed mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Refused,
    Unrenderable,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Refused => "refused",
            Outcome::Unrenderable => "unrenderable",
        }
    }
}

/// Settles a claimed mail.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    outcome: Outcome,
) -> Result<(), DbError> {
    diesel::sql_query("UPDATE sends SET status = $2, done_at = now() WHERE event_id = $1")
        .bind::<SqlUuid, _>(event_id)
        .bind::<Text, _>(outcome.name())
        .execute(conn)
        .await?;
    Ok(())
}

/// A deleted user's send log goes.
pub async fn erase(conn: &mut AsyncPgConnection, user: &UserId) -> Result<(), DbError> {
    diesel::sql_query("DELETE FROM sends WHERE user_id = $1")
        .bind::<Text, _>(user.as_str())
        .execute(conn)
        .await?;
    Ok(())
}
