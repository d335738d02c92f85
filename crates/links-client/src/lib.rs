//! The links service as other services see it ("remote model"). The wire
//! types are the ones the service itself serves (with their OpenAPI schemas
//! under the `openapi` feature), so client and server cannot disagree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_rest_client::RestClient;
pub use gridlink_rest_client::{ClientError, ClientSettings};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Most grids one batch call may name (a profile shows at most 200 grids).
pub const MAX_BATCH_GRIDS: usize = 200;

/// Where a link stands in its lifecycle, derived from `enabled` and its
/// window (`starts_at`, `ends_at`) at the moment it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Shown on the public pages.
    Live,
    /// Hidden by its owner (whatever its window).
    Disabled,
    /// Its window has not opened yet.
    Scheduled,
    /// Its window has closed.
    Expired,
}

impl LinkState {
    /// The state at `now` of a link with these settings.
    pub fn at(
        now: DateTime<Utc>,
        enabled: bool,
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
    ) -> Self {
        if !enabled {
            Self::Disabled
        } else if starts_at.is_some_and(|start| now < start) {
            Self::Scheduled
        } else if ends_at.is_some_and(|end| now >= end) {
            Self::Expired
        } else {
            Self::Live
        }
    }
}

/// A link as its owner sees it. Others see only live links, in this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LinkView))]
pub struct Link {
    pub slug: LinkSlug,
    pub grid: GridSlug,
    pub title: String,
    pub url: String,
    /// A colour or an https image URL; null for none.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    /// 0-based place in the grid.
    pub position: i32,
    /// False hides the link from the public pages without deleting it.
    pub enabled: bool,
    /// Shown from this moment on; null for no start.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub starts_at: Option<DateTime<Utc>>,
    /// Shown until this moment; null for no end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub ends_at: Option<DateTime<Utc>>,
    /// Pinned links come first on the public pages.
    pub pinned: bool,
    pub state: LinkState,
    /// The visitors' way to the link: `/r/{slug}`, relative to the gateway.
    pub href: String,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

/// A live link as the public pages show it: pinned ones first, then by
/// position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicLink {
    pub slug: LinkSlug,
    pub grid: GridSlug,
    pub title: String,
    pub url: String,
    /// A colour or an https image URL; null for none.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    /// 0-based place in the grid (among all of its links).
    pub position: i32,
    /// Null for no start.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub starts_at: Option<DateTime<Utc>>,
    /// Null for no end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub ends_at: Option<DateTime<Utc>>,
    pub pinned: bool,
    /// The visitors' way to the link: `/r/{slug}`, relative to the gateway.
    pub href: String,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

/// How many public links of each grid a batch (a profile page) holds.
pub const LINKS_PER_GRID: i64 = 50;

/// The first public links of one grid, as a batch answers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridLinks {
    /// At most [`LINKS_PER_GRID`], pinned first, then by position.
    pub items: Vec<PublicLink>,
    /// Continues through `GET /api/v1/links?grid=` (as a visitor); null
    /// when these are all.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
    /// The next moment this list changes by itself (a link's window opens
    /// or closes); null when none is scheduled. A cached copy must not
    /// outlive it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub changes_at: Option<DateTime<Utc>>,
}

/// [`GridLinks`] with the links left as the service's JSON.
#[derive(Debug, Deserialize)]
pub struct RawGridLinks {
    pub items: Box<RawValue>,
    pub next_cursor: Option<String>,
    pub changes_at: Option<DateTime<Utc>>,
}

/// A live link as `/r/{slug}` and the analytics service need it: where it
/// goes, whose it is, and whether visitors may follow it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkTarget {
    pub link: LinkSlug,
    pub grid: GridSlug,
    pub owner: UserId,
    pub url: String,
    /// Live, in a public or unlisted grid: visitors are sent to `url`.
    pub redirects: bool,
    /// The next moment `redirects` changes by itself (the link's window
    /// opens or closes); null when none is scheduled.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub changes_at: Option<DateTime<Utc>>,
}

/// The path a visitor follows to a link.
pub fn href(slug: &LinkSlug) -> String {
    format!("/r/{slug}")
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    grids: &'a [GridSlug],
}

#[derive(Deserialize)]
struct BatchResponse<L> {
    grids: HashMap<GridSlug, L>,
}

#[derive(Clone)]
pub struct LinksClient {
    rest: RestClient,
}

impl LinksClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self::with_rest(RestClient::new("links", settings))
    }

    /// A client over an existing [`RestClient`], sharing its connections.
    pub fn with_rest(rest: RestClient) -> Self {
        Self { rest }
    }

    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// `LINKS_URL` (default `http://127.0.0.1:8083`), `LINKS_TIMEOUT_MS`, `SERVICE_TOKEN`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(ClientSettings::from_env(
            "LINKS",
            "http://127.0.0.1:8083",
        )?))
    }

    /// The first public links of every grid in `grids` (see [`GridLinks`]),
    /// keyed by grid slug (every requested grid is a key): one call, one
    /// query.
    pub async fn links_of_grids(
        &self,
        grids: &[GridSlug],
    ) -> Result<HashMap<GridSlug, GridLinks>, ClientError> {
        self.batch(grids).await
    }

    /// As [`LinksClient::links_of_grids`], with each grid's links left as the
    /// JSON array of [`PublicLink`]s the service sent: for callers that only pass
    /// them on, so they are neither decoded nor encoded again.
    pub async fn links_of_grids_json(
        &self,
        grids: &[GridSlug],
    ) -> Result<HashMap<GridSlug, RawGridLinks>, ClientError> {
        self.batch(grids).await
    }

    /// A live (not deleted) link's target, whoever may see it; `None` for
    /// an unknown or deleted link, or one whose grid is gone.
    pub async fn target(&self, link: &LinkSlug) -> Result<Option<LinkTarget>, ClientError> {
        self.rest
            .get_optional(&format!("/internal/v1/links/{link}/target"), &[])
            .await
    }

    async fn batch<L: DeserializeOwned>(
        &self,
        grids: &[GridSlug],
    ) -> Result<HashMap<GridSlug, L>, ClientError> {
        if grids.is_empty() {
            return Ok(HashMap::new());
        }
        let response: BatchResponse<L> = self
            .rest
            .post_read("/internal/v1/links/batch", &BatchRequest { grids })
            .await?;
        Ok(response.grids)
    }
}
