//! The JSON shapes of the grids API. Requests refuse unknown fields, so
//! `owner`, `slug`, `is_deleted` and the timestamps cannot be set by clients.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::grids::Grid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed on the owner's profile and readable by anyone.
    Public,
    /// Readable by anyone with the slug, never listed.
    Unlisted,
    /// Only the owner can see it.
    Private,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrid {
    #[schema(min_length = 1, max_length = 128)]
    pub title: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Defaults to public.
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGrid {
    #[schema(min_length = 1, max_length = 128)]
    pub title: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GridView {
    #[schema(example = "gr_0123456789abcdef0123456789abcdef")]
    pub slug: String,
    /// The owner's user id.
    #[schema(example = "us_0123456789abcdef0123456789abcdef")]
    pub owner: String,
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridPage {
    pub items: Vec<GridView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A user id, or `me`. Defaults to `me` when authenticated.
    pub owner: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// What other services need to know about a grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridRef {
    pub slug: String,
    pub owner: String,
    pub visibility: Visibility,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridList {
    pub items: Vec<GridView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerQuery {
    /// The owner's user id.
    pub owner: String,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
        }
    }

    fn from_column(value: &str) -> Self {
        match value {
            "public" => Self::Public,
            "unlisted" => Self::Unlisted,
            _ => Self::Private,
        }
    }
}

impl From<Grid> for GridView {
    fn from(g: Grid) -> Self {
        Self {
            visibility: Visibility::from_column(&g.visibility),
            slug: g.slug,
            owner: g.owner,
            title: g.title,
            description: g.description,
            created_on: g.created_on,
            modified_on: g.modified_on,
        }
    }
}

impl From<Grid> for GridRef {
    fn from(g: Grid) -> Self {
        Self {
            visibility: Visibility::from_column(&g.visibility),
            slug: g.slug,
            owner: g.owner,
        }
    }
}
