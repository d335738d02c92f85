//! GET /api/v1/profiles/{username}: a user's public page in one response, for
//! exactly three backend calls whatever its size: the user (auth), a page of
//! their public grids (grids), and the first live links of each (links).
//! Its size is bounded: at most 50 grids of at most 50 links, each part with
//! the cursor that continues it.

use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use gridlink_http::Query;
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{GridSlug, Username};
use gridlink_problem::ApiError;
use gridlink_rest_client::ClientError;
use grids_client::{PROFILE_GRIDS_DEFAULT, PROFILE_GRIDS_MAX};
use links_client::LINKS_PER_GRID;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, ToSchema};

use crate::assembly::{Assembled, call, visitor_page};
use crate::state::Gateway;

/// A public grid with its first live links: the grids service's `GridView`,
/// a `links` array of the links service's `PublicLink`s as those services
/// send them, and the cursor to the grid's other links.
#[derive(Debug, Serialize)]
pub struct ProfileGrid {
    #[serde(flatten)]
    pub grid: grids_client::Grid,
    // The links service's own JSON, passed through without being decoded
    // and encoded again.
    pub links: Box<RawValue>,
    pub links_next_cursor: Option<String>,
}

impl utoipa::PartialSchema for ProfileGrid {
    fn schema() -> RefOr<Schema> {
        let links = ArrayBuilder::new()
            .items(Ref::from_schema_name("PublicLink"))
            .max_items(Some(LINKS_PER_GRID as usize))
            .description(Some(
                "The grid's first live links: pinned first, then by position.",
            ));
        let cursor = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                utoipa::openapi::Type::String,
                utoipa::openapi::Type::Null,
            ]))
            .description(Some(
                "The grid has more live links: pass as `cursor` to \
                 `GET /api/v1/links?grid=` to continue. Null when `links` are all.",
            ));
        AllOfBuilder::new()
            .item(Ref::from_schema_name("GridView"))
            .item(
                ObjectBuilder::new()
                    .property("links", links)
                    .property("links_next_cursor", cursor)
                    .required("links")
                    .required("links_next_cursor"),
            )
            .into()
    }
}

impl ToSchema for ProfileGrid {}

#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    /// The auth service's `PublicUser`.
    #[schema(schema_with = public_user)]
    pub user: auth_client::User,
    /// Public grids, newest first: at most `limit` of them.
    pub grids: Vec<ProfileGrid>,
    /// Pass as `cursor` for the next grids; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// When the page next changes by itself (for the cache; not sent).
    #[serde(skip)]
    #[schema(ignore)]
    pub changes_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// Grids per page.
    #[param(minimum = 1, maximum = 50, default = 20)]
    pub limit: Option<i64>,
    /// Opaque; from the previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

fn public_user() -> Ref {
    Ref::from_schema_name("PublicUser")
}

/// A user's public profile: a page of their public grids, newest first,
/// each with its first 50 live links.
#[utoipa::path(
    tag = "profiles",
    params(
        ("username" = String, Path, description = "Case-insensitive", pattern = "^[A-Za-z0-9_]{3,30}$"),
        ProfileQuery,
    ),
    responses(
        (status = 200, body = Profile),
        (status = 400, description = "A bad `limit` or `cursor`", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or deleted user", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "A backend failed; `errors` names the part", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "A backend did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/profiles/{username}")]
pub async fn profile(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    username: web::Path<String>,
    query: Query<ProfileQuery>,
) -> HttpResponse {
    let key = page_key(&username, &query).map_err(|problem| problem.error_response());
    let assembled = async {
        let profile = assemble(&gateway, &username, &query).await?;
        Ok(Assembled {
            owner: profile.user.id.clone(),
            changes_at: profile.changes_at,
            body: serde_json::to_vec(&profile)
                .expect("a profile serialises")
                .into(),
        })
    };
    let (response, owner) = visitor_page(&req, &gateway, &gateway.profile, key, assembled).await;
    if let Some(owner) = owner {
        crate::visits::count_view(&req, &gateway, &response, &owner, None).await;
    }
    response
}

/// Where a profile page is cached: by username (any case), page size and
/// cursor. A malformed name or limit has no page.
fn page_key(username: &str, query: &ProfileQuery) -> Result<String, ApiError> {
    let limit = query.limit.unwrap_or(PROFILE_GRIDS_DEFAULT);
    if !(1..=PROFILE_GRIDS_MAX).contains(&limit) {
        let must = format!("must be 1 to {PROFILE_GRIDS_MAX}");
        return Err(ApiError::invalid_field("limit", must));
    }
    let username =
        Username::parse(username).map_err(|_| ApiError::NotFound("no such user".into()))?;
    let cursor = query.cursor.as_deref().unwrap_or("");
    Ok(format!(
        "profile:{}:{limit}:{cursor}",
        username.as_str().to_lowercase()
    ))
}

fn no_such_user() -> HttpResponse {
    ApiError::NotFound("no such user".into()).error_response()
}

async fn assemble(
    gateway: &Gateway,
    username: &str,
    query: &ProfileQuery,
) -> Result<Profile, HttpResponse> {
    let username = Username::parse(username).map_err(|_| no_such_user())?;
    let user = call(
        "user",
        &gateway.auth,
        gateway.users.user_by_username(&username),
    )
    .await?
    .ok_or_else(no_such_user)?;
    // The cursor is the grids service's: its 400 is always about the cursor.
    let grids = call("grids", &gateway.grids, async {
        let page =
            gateway
                .grids_client
                .public_grids(&user.id, query.limit, query.cursor.as_deref());
        match page.await {
            Err(ClientError::Status { status: 400, .. }) => Ok(None),
            other => other.map(Some),
        }
    })
    .await?
    .ok_or_else(|| {
        ApiError::invalid_field("cursor", "is not a cursor of this profile").error_response()
    })?;
    let slugs: Vec<GridSlug> = grids.items.iter().map(|g| g.slug.clone()).collect();
    let mut links = call(
        "links",
        &gateway.links,
        gateway.links_client.links_of_grids_json(&slugs),
    )
    .await?;
    let changes_at = links
        .values()
        .filter_map(|of_grid| of_grid.changes_at)
        .min();
    Ok(Profile {
        user,
        grids: grids
            .items
            .into_iter()
            .map(|grid| {
                let (links, links_next_cursor) = match links.remove(&grid.slug) {
                    Some(of_grid) => (of_grid.items, of_grid.next_cursor),
                    None => (no_links(), None),
                };
                ProfileGrid {
                    links,
                    links_next_cursor,
                    grid,
                }
            })
            .collect(),
        next_cursor: grids.next_cursor,
        changes_at,
    })
}

fn no_links() -> Box<RawValue> {
    RawValue::from_string("[]".to_owned()).expect("[] is JSON")
}
