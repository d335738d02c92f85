//! A bound on every call that waits for the broker. A connection cut at the
//! wrong moment can leave a lapin call waiting forever (an ack or a publisher
//! confirm whose frame is never answered, a handshake that never completes);
//! with a deadline it fails instead, and the session is rebuilt.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;

/// Longer than any healthy broker round trip, short enough that a stuck
/// session is rebuilt well within a consumer's patience.
const BROKER_CALL: Duration = Duration::from_secs(10);

/// Awaits `call`, or fails with `what` after [`BROKER_CALL`].
pub(crate) async fn broker<T, E>(
    what: &str,
    call: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::time::timeout(BROKER_CALL, call)
        .await
        .map_err(|_| anyhow::anyhow!("{what}: no answer from the broker within {BROKER_CALL:?}"))?
        .with_context(|| what.to_owned())
}
