//! The public grids API.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gridlink_access_token::{Authenticated, MaybeAuthenticated};
use gridlink_http::Json;
use gridlink_ids::{PageParams, SlugKind, is_slug, new_slug};
use gridlink_problem::{ApiError, FieldError, Fields, ProblemSchema};
use serde::{Deserialize, Serialize};

use super::{owned_grid, visible_grid};
use crate::api::{CreateGrid, GridPage, GridView, ListQuery, UpdateGrid, Visibility};
use crate::db::grids::{self, GridChanges, Listing, NewGrid};
use crate::domain;
use crate::state::AppState;

/// Create a grid.
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    request_body = CreateGrid,
    responses(
        (status = 201, body = GridView, headers(("location" = String))),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/grids")]
pub async fn create_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateGrid>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let title = fields.check("title", domain::title(&body.title));
    let description = fields.check(
        "description",
        domain::description(body.description.as_deref().unwrap_or("")),
    );
    fields.finish()?;
    let (title, description) = (title.unwrap_or_default(), description.unwrap_or_default());
    let slug = new_slug(SlugKind::Grid);
    let mut conn = state.pool.get().await?;
    let grid = grids::insert(
        &mut conn,
        NewGrid {
            slug: &slug,
            owner: &auth.user_id,
            title: &title,
            description: &description,
            visibility: body.visibility.unwrap_or(Visibility::Public).as_str(),
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/grids/{slug}")))
        .json(GridView::from(grid)))
}

/// Where a page of grids ends, bound to the listing it came from.
#[derive(Serialize, Deserialize)]
struct Position {
    owner: String,
    all: bool,
    after: i64,
}

/// An owner's grids, newest first. Others see only public grids.
#[utoipa::path(
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
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0.map(|a| a.user_id);
    let owner = match (query.owner.as_deref(), &caller) {
        (None | Some("me"), Some(me)) => me.clone(),
        (Some("me"), None) => {
            return Err(ApiError::Unauthorized(
                "owner=me needs an access token".into(),
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_fields(vec![FieldError::new(
                "owner",
                "name an owner (us_...), or send an access token to list your own",
            )]));
        }
        (Some(id), _) if is_slug(SlugKind::User, id) => id.to_owned(),
        (Some(_), _) => {
            return Err(ApiError::invalid_fields(vec![FieldError::new(
                "owner",
                "must be a user id (us_...) or me",
            )]));
        }
    };
    let listing = if caller.as_deref() == Some(owner.as_str()) {
        Listing::All
    } else {
        Listing::Public
    };
    let params = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = params
        .limit()
        .map_err(|m| ApiError::invalid_fields(vec![FieldError::new("limit", m)]))?;
    let after = match &params.cursor {
        None => None,
        Some(cursor) => {
            let position: Position = state.cursors.decode(cursor).map_err(|e| {
                ApiError::invalid_fields(vec![FieldError::new("cursor", e.to_string())])
            })?;
            if position.owner != owner || position.all != (listing == Listing::All) {
                return Err(ApiError::invalid_fields(vec![FieldError::new(
                    "cursor",
                    "the cursor belongs to another listing",
                )]));
            }
            Some(position.after)
        }
    };

    let mut conn = state.pool.get().await?;
    let mut rows = grids::page(&mut conn, &owner, listing, after, limit + 1).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            state.cursors.encode(&Position {
                owner: owner.clone(),
                all: listing == Listing::All,
                after: last.id,
            })
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(GridPage {
        items: rows.into_iter().map(GridView::from).collect(),
        next_cursor,
    }))
}

/// One grid. Private grids are 404 to everyone but their owner.
#[utoipa::path(
    tag = "grids",
    params(("slug" = String, Path)),
    responses(
        (status = 200, body = GridView),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/grids/{slug}")]
pub async fn get_grid(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0.map(|a| a.user_id);
    let grid = visible_grid(&state, &slug, caller.as_deref()).await?;
    Ok(HttpResponse::Ok().json(GridView::from(grid)))
}

/// Change a grid (owner only).
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = UpdateGrid,
    responses(
        (status = 200, body = GridView),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/grids/{slug}")]
pub async fn update_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    body: Json<UpdateGrid>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let changes = GridChanges {
        title: body
            .title
            .and_then(|t| fields.check("title", domain::title(&t))),
        description: body
            .description
            .and_then(|d| fields.check("description", domain::description(&d))),
        visibility: body.visibility.map(|v| v.as_str().to_owned()),
    };
    fields.finish()?;
    let grid = owned_grid(&state, &slug, &auth.user_id).await?;
    let mut conn = state.pool.get().await?;
    let grid = grids::update(&mut conn, &grid, changes).await?;
    Ok(HttpResponse::Ok().json(GridView::from(grid)))
}

/// Delete a grid (owner only). Its links are retired through `grid.deleted`.
#[utoipa::path(
    tag = "grids",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/grids/{slug}")]
pub async fn delete_grid(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let grid = owned_grid(&state, &slug, &auth.user_id).await?;
    let mut conn = state.pool.get().await?;
    grids::soft_delete(&mut conn, &grid).await?;
    Ok(HttpResponse::NoContent().finish())
}
