//! The public grids API.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Json, MaybeAuthenticated, Query};
use gridlink_ids::{GridSlug, UserId};
use gridlink_problem::ApiError;
use gridlink_service::Pager;

use super::{grid_slug, owned_grid, visible_grid};
use crate::api::{CreateGrid, GridPage, GridView, ListQuery, UpdateGrid};
use crate::db::grids::{self, Listing};
use crate::domain::{GridInput, GridUpdate};
use crate::state::AppState;

/// Create a grid.
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    request_body = CreateGrid,
    responses(
        (status = 201, body = GridView, headers(("location" = String))),
    )
)]
#[post("/api/v1/grids")]
pub async fn create_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateGrid>,
) -> Result<HttpResponse, ApiError> {
    let input = GridInput::try_from(body.into_inner())?;
    let slug = GridSlug::generate();
    let grid = grids::insert(&state.db, &auth.user_id, &slug, &input).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/grids/{slug}")))
        .json(GridView::from(grid)))
}

/// Whose grids a listing shows: `owner=me` (or no owner, with a token), or a user id.
fn listed_owner(owner: Option<&str>, caller: Option<&UserId>) -> Result<UserId, ApiError> {
    match (owner, caller) {
        (None | Some("me"), Some(me)) => Ok(me.clone()),
        (Some("me"), None) => Err(ApiError::Unauthorized(
            "owner=me needs an access token".into(),
        )),
        (None, None) => Err(ApiError::Unauthorized(
            "name an owner (owner=us_...), or send an access token to list your own".into(),
        )),
        (Some(id), _) => UserId::parse(id)
            .map_err(|_| ApiError::invalid_field("owner", "must be a user id (us_...) or me")),
    }
}

/// An owner's grids, newest first. Others see only public grids.
#[utoipa::path(
    security((), ("bearer" = [])),
    tag = "grids",
    params(ListQuery),
    responses(
        (status = 200, body = GridPage),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, description = "owner=me without a token", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/grids")]
pub async fn list_grids(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let owner = listed_owner(query.owner.as_deref(), caller.user_id())?;
    let listing = if caller.user_id() == Some(&owner) {
        Listing::All
    } else {
        Listing::Public
    };
    let pager = Pager::<i64>::new(
        &state.cursors,
        match listing {
            Listing::All => format!("grids:{owner}:All"),
            Listing::Public => public_listing(&owner),
        },
        query.limit,
        query.cursor.as_deref(),
    )?;
    let mut conn = state.db.conn().await?;
    let rows = grids::page(
        &mut conn,
        &owner,
        listing,
        pager.after().copied(),
        pager.fetch(),
    )
    .await?;
    let page = pager.page(rows, |grid| grid.id).map(GridView::from);
    Ok(HttpResponse::Ok().json(GridPage::from(page)))
}

/// The cursor scope of an owner's public grids: the public listing and the
/// profile's pages share it, so either's cursor continues the other.
pub(super) fn public_listing(owner: &UserId) -> String {
    format!("grids:{owner}:Public")
}

/// One grid. Private grids are 404 to everyone but their owner.
#[utoipa::path(
    security((), ("bearer" = [])),
    tag = "grids",
    params(("slug" = GridSlug, Path)),
    responses(
        (status = 200, body = GridView),
    )
)]
#[get("/api/v1/grids/{slug}")]
pub async fn get_grid(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let grid = visible_grid(&state, &grid_slug(&slug)?, caller.user_id()).await?;
    Ok(HttpResponse::Ok().json(GridView::from(grid)))
}

/// Change a grid (owner only).
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    params(("slug" = GridSlug, Path)),
    request_body = UpdateGrid,
    responses(
        (status = 200, body = GridView),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/grids/{slug}")]
pub async fn update_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    body: Json<UpdateGrid>,
) -> Result<HttpResponse, ApiError> {
    let update = GridUpdate::try_from(body.into_inner())?;
    let grid = owned_grid(&state, &grid_slug(&slug)?, &auth.user_id).await?;
    let grid = grids::update(&state.db, &grid, &update).await?;
    Ok(HttpResponse::Ok().json(GridView::from(grid)))
}

/// Delete a grid (owner only). Its links are retired through `grid.deleted`.
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    params(("slug" = GridSlug, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/grids/{slug}")]
pub async fn delete_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let grid = owned_grid(&state, &grid_slug(&slug)?, &auth.user_id).await?;
    grids::soft_delete(&state.db, &grid).await?;
    Ok(HttpResponse::NoContent().finish())
}
