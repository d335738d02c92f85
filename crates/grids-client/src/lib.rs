//! The grids service as other services see it ("remote model").

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
pub use gridlink_rest_client::{ClientError, ClientSettings};
use gridlink_rest_client::{Memo, RestClient};
use serde::{Deserialize, Serialize};

/// Who owns a live grid and who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRef {
    pub slug: String,
    pub owner: String,
    /// `public`, `unlisted` or `private`.
    pub visibility: String,
}

impl GridRef {
    /// Whether `viewer` (None: anonymous) may see the grid.
    pub fn visible_to(&self, viewer: Option<&str>) -> bool {
        self.visibility != "private" || viewer == Some(self.owner.as_str())
    }
}

/// A grid as the public API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    pub slug: String,
    pub owner: String,
    pub title: String,
    pub description: String,
    pub visibility: String,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Deserialize)]
struct GridList {
    items: Vec<Grid>,
}

#[derive(Clone)]
pub struct GridsClient {
    rest: RestClient,
}

impl GridsClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self {
            rest: RestClient::new("grids", settings),
        }
    }

    /// `GRIDS_URL` (default `http://127.0.0.1:8082`), `GRIDS_TIMEOUT_MS`, `SERVICE_TOKEN`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(ClientSettings::from_env(
            "GRIDS",
            "http://127.0.0.1:8082",
        )?))
    }

    /// A live grid's owner and visibility; `None` when unknown or deleted.
    pub async fn grid_ref(&self, slug: &str) -> Result<Option<GridRef>, ClientError> {
        if !slug.starts_with("gr_") || !slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Ok(None);
        }
        self.rest
            .get_optional(&format!("/internal/v1/grids/{slug}"), &[])
            .await
    }

    /// An owner's public grids, newest first (at most 200): one call.
    pub async fn public_grids(&self, owner: &str) -> Result<Vec<Grid>, ClientError> {
        let list: GridList = self
            .rest
            .get("/internal/v1/grids", &[("owner", owner)])
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
    refs: Memo<String, Option<GridRef>>,
}

impl ScopedGrids<'_> {
    pub async fn grid_ref(&self, slug: &str) -> Result<Option<GridRef>, ClientError> {
        self.refs
            .get_or_fetch(slug.to_owned(), || self.client.grid_ref(slug))
            .await
    }
}
