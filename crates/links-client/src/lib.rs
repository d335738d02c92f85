//! The links service as other services see it ("remote model"). The wire
//! types are the ones the service itself serves (with their OpenAPI schemas
//! under the `openapi` feature), so client and server cannot disagree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_ids::{GridSlug, LinkSlug};
use gridlink_rest_client::RestClient;
pub use gridlink_rest_client::{ClientError, ClientSettings};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Most grids one batch call may name (a profile shows at most 200 grids).
pub const MAX_BATCH_GRIDS: usize = 200;

/// A link as the public API shows it.
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
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
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

    /// The live links of every grid in `grids`, in position order, keyed by
    /// grid slug (every requested grid is a key): one call, one query.
    pub async fn links_of_grids(
        &self,
        grids: &[GridSlug],
    ) -> Result<HashMap<GridSlug, Vec<Link>>, ClientError> {
        self.batch(grids).await
    }

    /// As [`LinksClient::links_of_grids`], with each grid's links left as the
    /// JSON array of [`Link`]s the service sent: for callers that only pass
    /// them on, so they are neither decoded nor encoded again.
    pub async fn links_of_grids_json(
        &self,
        grids: &[GridSlug],
    ) -> Result<HashMap<GridSlug, Box<RawValue>>, ClientError> {
        self.batch(grids).await
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
