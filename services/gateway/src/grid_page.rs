//! GET /api/v1/grids/{slug}/page: one public or unlisted grid as a visitor
//! opens it, with its owner's public user and its first 50 live links, in one
//! response: the grid (grids), then its owner (auth) and its links (links)
//! at once.

use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::GridSlug;
use gridlink_problem::ApiError;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa::openapi::Ref;

use crate::assembly::{Assembled, call, visitor_page};
use crate::state::Gateway;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicGridPage {
    /// The grids service's `GridView`.
    #[schema(schema_with = grid_view)]
    pub grid: grids_client::Grid,
    /// The grid's owner (the auth service's `PublicUser`).
    #[schema(schema_with = public_user)]
    pub owner: auth_client::User,
    /// The grid's first live links (at most 50): pinned first, then by
    /// position.
    #[schema(schema_with = public_links)]
    pub links: Box<RawValue>,
    /// The grid has more live links: pass as `cursor` to
    /// `GET /api/v1/links?grid=` to continue. Null when `links` are all.
    #[schema(required = true)]
    pub links_next_cursor: Option<String>,
    /// When the page next changes by itself (for the cache; not sent).
    #[serde(skip)]
    #[schema(ignore)]
    pub changes_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn grid_view() -> Ref {
    Ref::from_schema_name("GridView")
}

fn public_user() -> Ref {
    Ref::from_schema_name("PublicUser")
}

fn public_links() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(Ref::from_schema_name("PublicLink"))
        .max_items(Some(links_client::LINKS_PER_GRID as usize))
        .build()
}

/// A grid's page: the grid, whose it is, and its first live links. Public
/// and unlisted grids (an unlisted one is reached by its link only).
#[utoipa::path(
    tag = "grids",
    params(("slug" = GridSlug, Path)),
    responses(
        (status = 200, body = PublicGridPage),
        (status = 404, description = "Unknown, deleted or private", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "A backend failed; `errors` names the part", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "A backend is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "A backend did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/grids/{slug}/page")]
pub async fn grid_page(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    slug: web::Path<String>,
) -> HttpResponse {
    let slug = GridSlug::parse(&slug).ok();
    let key = slug
        .as_ref()
        .map(|slug| format!("grid:{slug}"))
        .ok_or_else(no_such_grid);
    let assembled = async {
        let slug = slug.as_ref().ok_or_else(no_such_grid)?;
        let page = assemble(&gateway, slug).await?;
        Ok(Assembled {
            owner: page.owner.id.clone(),
            changes_at: page.changes_at,
            body: serde_json::to_vec(&page).expect("a page serialises").into(),
        })
    };
    let (response, owner) = visitor_page(&req, &gateway, &gateway.grid_page, key, assembled).await;
    if let Some(owner) = owner {
        crate::visits::count_view(&req, &gateway, &response, &owner, slug).await;
    }
    response
}

fn no_such_grid() -> HttpResponse {
    ApiError::NotFound("no such grid".into()).error_response()
}

async fn assemble(gateway: &Gateway, slug: &GridSlug) -> Result<PublicGridPage, HttpResponse> {
    let grid = call("grid", &gateway.grids, gateway.grids_client.grid(slug))
        .await?
        .filter(|grid| grid.visibility.shows_to(false))
        .ok_or_else(no_such_grid)?;
    let owners = call(
        "owner",
        &gateway.auth,
        gateway
            .users
            .users_by_ids(std::slice::from_ref(&grid.owner)),
    );
    let links = call(
        "links",
        &gateway.links,
        gateway
            .links_client
            .links_of_grids_json(std::slice::from_ref(slug)),
    );
    let (owners, mut links) = tokio::try_join!(owners, links)?;
    // A grid whose owner is gone is being erased: it is no longer anyone's page.
    let owner = owners.into_iter().next().ok_or_else(no_such_grid)?;
    let (links, links_next_cursor, changes_at) = match links.remove(slug) {
        Some(of_grid) => (of_grid.items, of_grid.next_cursor, of_grid.changes_at),
        None => (
            RawValue::from_string("[]".to_owned()).expect("[] is JSON"),
            None,
            None,
        ),
    };
    Ok(PublicGridPage {
        grid,
        owner,
        links,
        links_next_cursor,
        changes_at,
    })
}
