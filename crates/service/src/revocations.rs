//! Following ended sessions, so a service refuses their access tokens within
//! a second: `user.sessions_revoked.v1` on this process's own queue, and the
//! auth service's list of the last token lifetime whenever that queue is
//! (re)bound or the broker is down (see `gridlink_events::broadcast`).
//!
//! Bounds: with the broker up, an event's trip (the outbox relay's poll, one
//! hop through the broker). With the broker down, the follower reads the list
//! before every reconnection attempt, at most 5 s apart. With the broker up
//! for the follower but not for auth's relay (events stuck in auth's
//! outbox), the follower's reconciliation, every 30 s. With both the broker
//! and the auth service down, the access-token lifetime (15 min): then a
//! token simply expires, and no new one can be made from its session.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use gridlink_access_token::{Revocations, Revoking, VerifyAccessToken};
use gridlink_events::broadcast::{self, Follower};
use gridlink_events::consumer::Message;
use gridlink_events::{BrokerSettings, Event, SessionsRevoked};

pub use gridlink_access_token::RevocationSource;

/// How often the list is read when there is no broker to follow.
const POLL_WITHOUT_BROKER: Duration = Duration::from_secs(5);

/// The revocations one verifier follows, and where to catch up from.
pub(crate) struct Followed {
    pub(crate) revocations: Arc<Revocations>,
    pub(crate) source: Option<RevocationSource>,
}

impl Followed {
    /// Wraps `verifier` so it refuses what this follower learns.
    pub(crate) fn new(
        verifier: Arc<dyn VerifyAccessToken>,
        source: Option<RevocationSource>,
    ) -> (Self, Arc<dyn VerifyAccessToken>) {
        let revocations = Arc::new(Revocations::new());
        let verifier = Arc::new(Revoking::new(verifier, Arc::clone(&revocations)));
        (
            Self {
                revocations,
                source,
            },
            verifier,
        )
    }

    /// Follows the broker's events when there is one, else reads the list
    /// every few seconds.
    pub(crate) fn start(self, events: Option<BrokerSettings>) {
        match events {
            Some(settings) => {
                broadcast::follow(settings, SessionsRevoked::TYPE, self);
            }
            None => {
                if self.source.is_some() {
                    tokio::spawn(async move {
                        loop {
                            let _ = self.catch_up().await;
                            tokio::time::sleep(POLL_WITHOUT_BROKER).await;
                        }
                    });
                }
            }
        }
    }
}

impl Follower for Followed {
    fn catch_up(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let Some(source) = &self.source else {
                return Ok(());
            };
            let list = source().await?;
            self.revocations.apply_all(&list);
            Ok(())
        })
    }

    fn apply(&self, message: Message) {
        match message.decode::<SessionsRevoked>(SessionsRevoked::TYPE) {
            Ok(event) => self.revocations.apply(&revocation(&event)),
            Err(e) => tracing::warn!(error = ?e, "an unreadable revocation was ignored"),
        }
    }
}

/// The revocation an event announces.
pub fn revocation(event: &SessionsRevoked) -> gridlink_access_token::Revocation {
    gridlink_access_token::Revocation {
        user_id: event.user_id.clone(),
        sid: event.sid.clone(),
        revoked_at: event.occurred_at.timestamp(),
    }
}
