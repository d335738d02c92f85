//! When the links service believes its own copy of a grid's owner and
//! visibility instead of asking the grids service.
//!
//! The copy is fed by `grid.changed` (a change sets the grid's copy aside;
//! the next read asks again and fills it in), so it is believed only while
//! that feed runs: the consumers have been connected for `settle` (long
//! enough for changes that waited in the grids service's outbox during an
//! outage to arrive), and the copy is younger than `max_age` (a backstop
//! for a feed that runs but carries nothing, as when only the grids
//! service's relay is cut off). Otherwise every read asks the grids
//! service, as if there were no copy.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_events::BrokerState;
use grids_client::GridRef;

use crate::db::grid_copies::GridCopy;

/// `GRID_COPY_SETTLE_MS` (default 10000) and `GRID_COPY_MAX_AGE_SECS`
/// (default 600).
#[derive(Debug, Clone, Copy)]
pub struct CopySettings {
    pub settle: Duration,
    pub max_age: Duration,
}

impl CopySettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            settle: Duration::from_millis(gridlink_config::parse("GRID_COPY_SETTLE_MS", 10_000)?),
            max_age: Duration::from_secs(gridlink_config::parse("GRID_COPY_MAX_AGE_SECS", 600)?),
        })
    }
}

pub struct GridCopies {
    settings: CopySettings,
    feed: BrokerState,
}

impl GridCopies {
    pub fn new(settings: CopySettings, feed: BrokerState) -> Self {
        Self { settings, feed }
    }

    /// Whether the feed runs: without it, reads need not even look at the
    /// copy.
    pub fn fed(&self) -> bool {
        self.feed
            .consuming_for()
            .is_some_and(|connected| connected >= self.settings.settle)
    }

    /// The grid `copy` says, if it may be believed at `now`.
    pub fn believe(&self, copy: Option<&GridCopy>, now: DateTime<Utc>) -> Option<GridRef> {
        let (grid, filled_at) = copy?.grid()?;
        (self.fed() && !self.expired(filled_at, now)).then_some(grid)
    }

    /// Whether a read that asked the grids service should write its answer
    /// into the copy: when there is none, it is too old, or it differs.
    pub fn needs_fill(
        &self,
        copy: Option<&GridCopy>,
        answer: &GridRef,
        now: DateTime<Utc>,
    ) -> bool {
        match copy.and_then(GridCopy::grid) {
            Some((grid, filled_at)) => &grid != answer || self.expired(filled_at, now),
            None => true,
        }
    }

    fn expired(&self, filled_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        (now - filled_at).to_std().unwrap_or_default() >= self.settings.max_age
    }
}
