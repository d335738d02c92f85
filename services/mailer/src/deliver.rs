//! The consumer of `notification.requested`: claim the event in the send
//! log, render, send, settle, ack. Duplicates (a second delivery, a second
//! replica) find the claim and send nothing. While the SMTP server is
//! unreachable the mail waits here with backoff, unacknowledged, so a
//! restart hands it to the next consumer and nothing is lost; a mail the
//! server refuses for good, or that cannot be rendered, is dead-lettered
//! (and counted by the consumer's metrics). Neither the body nor its link
//! is logged or stored: the log names the event, template and status.

use std::sync::Arc;
use std::time::Duration;

use gridlink_db::{Database, DbError};
use gridlink_events::consumer::{Handler, HandlerError, Message};
use gridlink_events::topology::QueueSpec;
use gridlink_events::{Event, NotificationRequested};

use crate::db::{self, Claim, Outcome};
use crate::smtp::{self, SendError, Smtp};
use crate::templates;

/// A claim older than this is taken to be a dead sender's.
const STALE_CLAIM: Duration = Duration::from_secs(120);
/// How long settling waits out a database outage before giving up (the
/// delivery then comes back, and may be sent again: at least once).
const SETTLE_PATIENCE: Duration = Duration::from_secs(60);

pub struct Deliverer {
    pub db: Database,
    pub smtp: Smtp,
    pub retry_max: Duration,
}

/// The handler for `queue`.
pub fn handler(queue: QueueSpec, deliverer: Deliverer) -> (QueueSpec, Handler) {
    let deliverer = Arc::new(deliverer);
    let handler: Handler = Arc::new(move |message| {
        let deliverer = deliverer.clone();
        Box::pin(async move { deliverer.deliver(message).await })
    });
    (queue, handler)
}

fn transient(error: DbError) -> HandlerError {
    HandlerError::Transient(error.into())
}

impl Deliverer {
    async fn deliver(&self, message: Message) -> Result<(), HandlerError> {
        let request: NotificationRequested = message.decode(NotificationRequested::TYPE)?;
        let event_id = request.event_id;
        let template = request.template.name();
        let claim = {
            let mut conn = self.db.conn().await.map_err(transient)?;
            db::claim(&mut conn, &request, STALE_CLAIM)
                .await
                .map_err(transient)?
        };
        match claim {
            Claim::Settled => {
                tracing::info!(event.id = %event_id, template, "already settled; not sent again");
                return Ok(());
            }
            Claim::Busy => {
                return Err(HandlerError::Transient(anyhow::anyhow!(
                    "another delivery of {event_id} is sending it"
                )));
            }
            Claim::Ours => {}
        }
        let mail = match templates::render(request.template, &request.data) {
            Ok(mail) => mail,
            Err(error) => {
                self.settle(&request, Outcome::Unrenderable).await?;
                return Err(HandlerError::Permanent(error.to_string()));
            }
        };
        let mut attempt = 0;
        let sending = tokio::time::Instant::now();
        loop {
            match self.smtp.send(&request.to, &mail).await {
                Ok(()) => break,
                Err(SendError::Refused(reason)) => {
                    self.settle(&request, Outcome::Refused).await?;
                    return Err(HandlerError::Permanent(format!("{template}: {reason}")));
                }
                Err(SendError::Unavailable(reason)) => {
                    let wait = smtp::backoff(attempt, self.retry_max);
                    tracing::warn!(
                        event.id = %event_id,
                        template,
                        attempt,
                        retry_in_ms = wait.as_millis() as u64,
                        reason,
                        "SMTP unavailable; the mail waits"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    if let Ok(mut conn) = self.db.conn().await {
                        // Best effort: a stale claim only lets a redelivery
                        // take over, which is what it is for.
                        let _ = db::keep_claim(&mut conn, event_id).await;
                    }
                }
            }
        }
        let smtp_ms = sending.elapsed().as_millis() as u64;
        self.settle(&request, Outcome::Sent).await?;
        tracing::info!(event.id = %event_id, template, attempts = attempt + 1, smtp_ms, "mail sent");
        Ok(())
    }

    /// Records how the mail ended, waiting out a short database outage
    /// rather than have a sent mail come back and go out twice.
    async fn settle(
        &self,
        request: &NotificationRequested,
        outcome: Outcome,
    ) -> Result<(), HandlerError> {
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let result = async {
                let mut conn = self.db.conn().await?;
                db::settle(&mut conn, request.event_id, outcome).await
            }
            .await;
            match result {
                Ok(()) => return Ok(()),
                Err(error) if started.elapsed() < SETTLE_PATIENCE => {
                    tracing::warn!(event.id = %request.event_id, error = %error, "cannot record the send yet");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Err(error) => return Err(transient(error)),
            }
        }
    }
}
