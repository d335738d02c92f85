//! What the analytics service does with the events it consumes: counts the
//! gateway's visit batches (each batch once, by its event id), and erases.

use gridlink_db::{DbError, Tx};
use gridlink_events::{GridDeleted, LinkDeleted, LinksClicked, PagesViewed};
use gridlink_ids::UserId;
use gridlink_service::{Consume, EraseUser};

use crate::db;

/// Counts a batch of clicks.
pub struct CountClicks;

impl Consume for CountClicks {
    type Event = LinksClicked;

    async fn consume(&self, tx: &mut Tx, event: LinksClicked) -> Result<(), DbError> {
        let counted = db::record_clicks(tx, &event.visits).await?;
        tracing::debug!(batch = %event.event_id, counted, "clicks counted");
        Ok(())
    }
}

/// Counts a batch of page views.
pub struct CountViews;

impl Consume for CountViews {
    type Event = PagesViewed;

    async fn consume(&self, tx: &mut Tx, event: PagesViewed) -> Result<(), DbError> {
        let counted = db::record_views(tx, &event.visits).await?;
        tracing::debug!(batch = %event.event_id, counted, "views counted");
        Ok(())
    }
}

/// Every count of a deleted user goes; later batches of theirs count nothing.
pub struct EraseCounts;

impl EraseUser for EraseCounts {
    const SERVICE: &'static str = "analytics";

    async fn erase(&self, tx: &mut Tx, user: &UserId) -> Result<(), DbError> {
        db::erase_owner(tx, user).await
    }
}

/// A deleted grid's counts go.
pub struct EraseGrid;

impl Consume for EraseGrid {
    type Event = GridDeleted;

    async fn consume(&self, tx: &mut Tx, event: GridDeleted) -> Result<(), DbError> {
        db::erase_grid(tx, &event.grid).await
    }
}

/// A deleted link's counts go as a reset's do: clicks made before the
/// deletion that arrive later are not counted either.
pub struct EraseLink;

impl Consume for EraseLink {
    type Event = LinkDeleted;

    async fn consume(&self, tx: &mut Tx, event: LinkDeleted) -> Result<(), DbError> {
        db::reset_link(tx, &event.link, &event.owner).await
    }
}
