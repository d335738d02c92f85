//! The JSON shapes of the grids API. Requests refuse unknown fields, so
//! `owner`, `slug`, `is_deleted` and the timestamps cannot be set by clients.

use gridlink_ids::Visibility;
use gridlink_service::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::grids::Grid;
use crate::domain::{DESCRIPTION_MAX, TITLE_MAX};
/// The wire types other services read, shared with them through the client.
pub use grids_client::{Grid as GridView, GridList, GridRef};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrid {
    #[schema(schema_with = gridlink_ids::schemas::line::<128>)]
    pub title: String,
    #[schema(schema_with = gridlink_ids::schemas::optional_paragraph::<2000>)]
    pub description: Option<String>,
    /// Defaults to public.
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGrid {
    #[schema(schema_with = gridlink_ids::schemas::optional_line::<128>)]
    pub title: Option<String>,
    #[schema(schema_with = gridlink_ids::schemas::optional_paragraph::<2000>)]
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}

const _: () = assert!(TITLE_MAX == 128 && DESCRIPTION_MAX == 2000);

#[derive(Debug, Serialize, ToSchema)]
pub struct GridPage {
    pub items: Vec<GridView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl From<Page<GridView>> for GridPage {
    fn from(page: Page<GridView>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A user id, or `me` (the default: it needs an access token).
    #[param(pattern = "^(me|us_[0-9a-f]{32})$")]
    pub owner: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerQuery {
    /// The owner's user id.
    pub owner: String,
    /// Page size, 1 to 50 (default 20).
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl From<Grid> for GridView {
    fn from(g: Grid) -> Self {
        Self {
            slug: g.slug,
            owner: g.owner,
            title: g.title,
            description: g.description,
            visibility: g.visibility,
            created_on: g.created_on,
            modified_on: g.modified_on,
        }
    }
}

impl From<Grid> for GridRef {
    fn from(g: Grid) -> Self {
        Self {
            slug: g.slug,
            owner: g.owner,
            visibility: g.visibility,
        }
    }
}
