//! The JSON shapes of the links API. Requests refuse unknown fields, so a
//! link's owner, slug and deletion state cannot be set by clients.

use std::collections::HashMap;

use chrono::Utc;
use gridlink_ids::GridSlug;
use gridlink_service::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::links::Link;
use crate::domain::{BACKGROUND_PATTERN, URL_MAX, URL_PATTERN};
/// The wire type other services read, shared with them through the client.
pub use links_client::{GridLinks, Link as LinkView, LinkState, PublicLink};

fn url_schema() -> utoipa::openapi::Object {
    gridlink_ids::schemas::pattern(
        URL_PATTERN,
        URL_MAX,
        "An absolute http or https URL with a host name (no user name, no IP address)",
    )
}

fn background_schema() -> utoipa::openapi::Object {
    gridlink_ids::schemas::or_null(gridlink_ids::schemas::pattern(
        BACKGROUND_PATTERN,
        URL_MAX,
        "A colour (`#rgb` or `#rrggbb`) or an https image URL; empty or null for none",
    ))
}

fn optional_url_schema() -> utoipa::openapi::Object {
    gridlink_ids::schemas::or_null(url_schema())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// The grid's slug; it must be yours.
    #[schema(schema_with = gridlink_ids::schemas::grid_slug)]
    pub grid: String,
    #[schema(schema_with = gridlink_ids::schemas::line::<200>)]
    pub title: String,
    #[schema(schema_with = url_schema)]
    pub url: String,
    #[schema(schema_with = background_schema)]
    pub background: Option<String>,
    /// Grid cells, 1 to 4 (default 1).
    #[schema(minimum = 1, maximum = 4)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub width: Option<i16>,
    #[schema(minimum = 1, maximum = 4)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub height: Option<i16>,
    /// 0-based place in the grid; the link goes last when omitted, and a
    /// position past the end also means last.
    #[schema(minimum = 0)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub position: Option<i32>,
    /// False keeps the link from the public pages (default true).
    pub enabled: Option<bool>,
    /// RFC 3339; shown from then on. Null or absent: no start.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<String>,
    /// RFC 3339, after `starts_at`; shown until then. Null or absent: no end.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<String>,
    /// Pinned links come first on the public pages (default false).
    pub pinned: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    #[schema(schema_with = gridlink_ids::schemas::optional_line::<200>)]
    pub title: Option<String>,
    #[schema(schema_with = optional_url_schema)]
    pub url: Option<String>,
    /// An empty string clears the background.
    #[schema(schema_with = background_schema)]
    pub background: Option<String>,
    #[schema(minimum = 1, maximum = 4)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub width: Option<i16>,
    #[schema(minimum = 1, maximum = 4)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub height: Option<i16>,
    /// Moves the link; the others shift to make room.
    #[schema(minimum = 0)]
    #[serde(default, deserialize_with = "gridlink_http::whole::optional")]
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    /// RFC 3339; null removes the start.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "gridlink_http::nullable::field")]
    pub starts_at: Option<Option<String>>,
    /// RFC 3339, after the start; null removes the end.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "gridlink_http::nullable::field")]
    pub ends_at: Option<Option<String>>,
    pub pinned: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderLinks {
    #[schema(schema_with = gridlink_ids::schemas::grid_slug)]
    pub grid: String,
    /// Every live link of the grid, once, in the new order.
    #[schema(schema_with = order_schema)]
    pub links: Vec<String>,
}

fn order_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(gridlink_ids::schemas::link_slug())
        .max_items(Some(crate::db::links::MAX_LINKS_PER_GRID as usize))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPage {
    pub items: Vec<LinkView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
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
    /// List this grid's links by position (give `grid` or `q`).
    #[param(schema_with = gridlink_ids::schemas::grid_slug)]
    pub grid: Option<String>,
    /// Or: full-text search over your own links (needs a token).
    #[param(schema_with = gridlink_ids::schemas::line::<200>)]
    pub q: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    #[param(max_length = 1024)]
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
    /// Every requested grid, with its first public links (none: empty).
    pub grids: HashMap<GridSlug, GridLinks>,
}

impl From<Link> for LinkView {
    fn from(l: Link) -> Self {
        Self {
            state: l.state(Utc::now()),
            href: links_client::href(&l.slug),
            slug: l.slug,
            grid: l.grid,
            title: l.title,
            url: l.url,
            background: l.background,
            width: l.width,
            height: l.height,
            position: l.position.unwrap_or_default(),
            enabled: l.enabled,
            starts_at: l.starts_at,
            ends_at: l.ends_at,
            pinned: l.pinned,
            created_on: l.created_on,
            modified_on: l.modified_on,
        }
    }
}

impl From<Link> for PublicLink {
    fn from(l: Link) -> Self {
        Self {
            href: links_client::href(&l.slug),
            slug: l.slug,
            grid: l.grid,
            title: l.title,
            url: l.url,
            background: l.background,
            width: l.width,
            height: l.height,
            position: l.position.unwrap_or_default(),
            starts_at: l.starts_at,
            ends_at: l.ends_at,
            pinned: l.pinned,
            created_on: l.created_on,
            modified_on: l.modified_on,
        }
    }
}
