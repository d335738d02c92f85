//! The grids service as other services see it ("remote model"). The wire
//! types are the ones the service itself serves (with their OpenAPI schemas
//! under the `openapi` feature), so client and server cannot disagree.

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_ids::{GridSlug, UserId, Visibility};
pub use gridlink_rest_client::{ClientError, ClientSettings};
use gridlink_rest_client::{Memo, RestClient};
use serde::{Deserialize, Serialize};

/// Who owns a live grid and who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridRef {
    pub slug: GridSlug,
    pub owner: UserId,
    pub visibility: Visibility,
}

impl GridRef {
    /// Whether `viewer` (None: anonymous) may see the grid.
    pub fn visible_to(&self, viewer: Option<&UserId>) -> bool {
        self.visibility.shows_to(viewer == Some(&self.owner))
    }
}

/// A grid as the public API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = GridView))]
pub struct Grid {
    pub slug: GridSlug,
    /// The owner's user id.
    pub owner: UserId,
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

/// An owner's public grids, newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridList {
    pub items: Vec<Grid>,
}

#[derive(Clone)]
pub struct GridsClient {
    rest: RestClient,
}

impl GridsClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self::with_rest(RestClient::new("grids", settings))
    }

    /// A client over an existing [`RestClient`], sharing its connections.
    pub fn with_rest(rest: RestClient) -> Self {
        Self { rest }
    }

    /// `GRIDS_URL` (default `http://127.0.0.1:8082`), `GRIDS_TIMEOUT_MS`, `SERVICE_TOKEN`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(ClientSettings::from_env(
            "GRIDS",
            "http://127.0.0.1:8082",
        )?))
    }

    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// A live grid's owner and visibility; `None` when unknown or deleted.
    pub async fn grid_ref(&self, slug: &GridSlug) -> Result<Option<GridRef>, ClientError> {
        self.rest
            .get_optional(&format!("/internal/v1/grids/{slug}"), &[])
            .await
    }

    /// An owner's public grids, newest first (at most 200): one call.
    pub async fn public_grids(&self, owner: &UserId) -> Result<Vec<Grid>, ClientError> {
        let list: GridList = self
            .rest
            .get("/internal/v1/grids", &[("owner", owner.as_str())])
            .await?;
        Ok(list.items)
    }

    /// A view of this client for one incoming request: repeated lookups of the
    /// same grid are answered from memory.
    pub fn scoped(&self) -> ScopedGrids<'_> {
        ScopedGrids {
            client: self,
            refs: Memo::default(),
        }
    }
}

pub struct ScopedGrids<'a> {
    client: &'a GridsClient,
    refs: Memo<GridSlug, Option<GridRef>>,
}

impl ScopedGrids<'_> {
    pub async fn grid_ref(&self, slug: &GridSlug) -> Result<Option<GridRef>, ClientError> {
        self.refs
            .get_or_fetch(slug.clone(), || self.client.grid_ref(slug))
            .await
    }
}
