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

/// A page of an owner's public grids, newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridList {
    pub items: Vec<Grid>,
    /// The next page's cursor (the same as the public listing's,
    /// `GET /api/v1/grids?owner=`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// Most public grids one page of a profile shows, and its default.
pub const PROFILE_GRIDS_MAX: i64 = 50;
pub const PROFILE_GRIDS_DEFAULT: i64 = 20;

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

    /// A live grid's owner and visibility (read from [`GridsClient::grid`]'s
    /// answer); `None` when unknown or deleted.
    pub async fn grid_ref(&self, slug: &GridSlug) -> Result<Option<GridRef>, ClientError> {
        self.rest
            .get_optional(&format!("/internal/v1/grids/{slug}"), &[])
            .await
    }

    /// A live grid, whatever its visibility (the caller decides who may see
    /// it); `None` when unknown or deleted.
    pub async fn grid(&self, slug: &GridSlug) -> Result<Option<Grid>, ClientError> {
        self.rest
            .get_optional(&format!("/internal/v1/grids/{slug}"), &[])
            .await
    }

    /// A page of an owner's public grids, newest first: `limit` of them
    /// (1 to [`PROFILE_GRIDS_MAX`], default [`PROFILE_GRIDS_DEFAULT`]) after
    /// `cursor`. One call; a cursor of another listing is a 400.
    pub async fn public_grids(
        &self,
        owner: &UserId,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<GridList, ClientError> {
        let limit = limit.map(|n| n.to_string());
        let mut query = vec![("owner", owner.as_str())];
        if let Some(limit) = &limit {
            query.push(("limit", limit));
        }
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        self.rest.get("/internal/v1/grids", &query).await
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
