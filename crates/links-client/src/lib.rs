//! The links service as other services see it ("remote model").

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gridlink_config::ConfigError;
use gridlink_rest_client::RestClient;
pub use gridlink_rest_client::{ClientError, ClientSettings};
use serde::{Deserialize, Serialize};

/// Most grids one batch call may name (a profile shows at most 200 grids).
pub const MAX_BATCH_GRIDS: usize = 200;

/// A link as the public API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub slug: String,
    pub grid: String,
    pub title: String,
    pub url: String,
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    pub position: i32,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    grids: &'a [String],
}

#[derive(Deserialize)]
struct BatchResponse {
    grids: HashMap<String, Vec<Link>>,
}

#[derive(Clone)]
pub struct LinksClient {
    rest: RestClient,
}

impl LinksClient {
    pub fn new(settings: ClientSettings) -> Self {
        Self {
            rest: RestClient::new("links", settings),
        }
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
        grids: &[String],
    ) -> Result<HashMap<String, Vec<Link>>, ClientError> {
        if grids.is_empty() {
            return Ok(HashMap::new());
        }
        let response: BatchResponse = self
            .rest
            .post_read("/internal/v1/links/batch", &BatchRequest { grids })
            .await?;
        Ok(response.grids)
    }
}
