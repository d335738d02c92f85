//! The JSON shapes of the links API. Requests refuse unknown fields, so a
//! link's owner, slug and deletion state cannot be set by clients.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gridlink_ids::{GridSlug, LinkSlug};
use gridlink_service::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::links::Link;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// The grid's slug; it must be yours.
    #[schema(example = "gr_0123456789abcdef0123456789abcdef")]
    pub grid: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// An absolute http or https URL.
    #[schema(max_length = 2048, example = "https://example.com/")]
    pub url: String,
    #[schema(max_length = 100)]
    pub background: Option<String>,
    /// Grid cells, 1 to 4 (default 1).
    #[schema(minimum = 1, maximum = 4)]
    pub width: Option<i16>,
    #[schema(minimum = 1, maximum = 4)]
    pub height: Option<i16>,
    /// 0-based place in the grid; the link goes last when omitted, and a
    /// position past the end also means last.
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// An empty string clears the background.
    #[schema(max_length = 100)]
    pub background: Option<String>,
    #[schema(minimum = 1, maximum = 4)]
    pub width: Option<i16>,
    #[schema(minimum = 1, maximum = 4)]
    pub height: Option<i16>,
    /// Moves the link; the others shift to make room.
    #[schema(minimum = 0)]
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderLinks {
    pub grid: String,
    /// Every live link of the grid, once, in the new order.
    pub links: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub slug: LinkSlug,
    pub grid: GridSlug,
    pub title: String,
    pub url: String,
    pub background: Option<String>,
    pub width: i16,
    pub height: i16,
    /// 0-based place in the grid.
    pub position: i32,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPage {
    pub items: Vec<LinkView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<LinkView>> for LinkPage {
    fn from(page: Page<LinkView>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// List this grid's links by position.
    pub grid: Option<String>,
    /// Or: full-text search over your own links (needs a token).
    pub q: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Grid slugs, at most 200.
    pub grids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// Every requested grid, with its live links in order (empty when none).
    pub grids: HashMap<GridSlug, Vec<LinkView>>,
}

impl From<Link> for LinkView {
    fn from(l: Link) -> Self {
        Self {
            slug: l.slug,
            grid: l.grid,
            title: l.title,
            url: l.url,
            background: l.background,
            width: l.width,
            height: l.height,
            position: l.position.unwrap_or_default(),
            created_on: l.created_on,
            modified_on: l.modified_on,
        }
    }
}
