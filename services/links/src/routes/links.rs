//! The public links API.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use gridlink_access_token::{Authenticated, MaybeAuthenticated};
use gridlink_http::Json;
use gridlink_ids::{PageParams, SlugKind, new_slug};
use gridlink_problem::{ApiError, FieldError, Fields, ProblemSchema};
use serde::{Deserialize, Serialize};

use super::{owned_grid, owned_link, visible_grid, visible_link};
use crate::api::{CreateLink, LinkPage, LinkView, ListQuery, ReorderLinks, UpdateLink};
use crate::db::links::{self, LinkChanges, MAX_LINKS_PER_GRID, NewLink};
use crate::domain;
use crate::state::AppState;

/// Add a link to one of your grids.
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    request_body = CreateLink,
    responses(
        (status = 201, body = LinkView, headers(("location" = String))),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Someone else's grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The grid is full", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/links")]
pub async fn create_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateLink>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let title = fields.check("title", domain::title(&body.title));
    let url = fields.check("url", domain::url(&body.url));
    let background = fields.check(
        "background",
        domain::background(body.background.as_deref().unwrap_or("")),
    );
    let width = fields.check("width", domain::cells(body.width.unwrap_or(1)));
    let height = fields.check("height", domain::cells(body.height.unwrap_or(1)));
    let position = body
        .position
        .map(|p| fields.check("position", domain::position(p)));
    if !gridlink_ids::is_slug(SlugKind::Grid, &body.grid) {
        fields.reject("grid", "must be a grid slug (gr_...)");
    }
    fields.finish()?;

    let grids = state.grids.scoped();
    owned_grid(&grids, &body.grid, &auth.user_id).await?;
    let slug = new_slug(SlugKind::Link);
    let (title, url) = (title.unwrap_or_default(), url.unwrap_or_default());
    let mut conn = state.pool.get().await?;
    let link = links::insert(
        &mut conn,
        NewLink {
            slug: &slug,
            grid: &body.grid,
            owner: &auth.user_id,
            title: &title,
            url: &url,
            background: background.flatten().as_deref(),
            width: width.unwrap_or(1),
            height: height.unwrap_or(1),
        },
        position.flatten(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/links/{slug}")))
        .json(LinkView::from(link)))
}

/// One link. Links of private grids are 404 to everyone but the owner.
#[utoipa::path(
    tag = "links",
    params(("slug" = String, Path)),
    responses(
        (status = 200, body = LinkView),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/links/{slug}")]
pub async fn get_link(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0.map(|a| a.user_id);
    let grids = state.grids.scoped();
    let link = visible_link(&state, &grids, &slug, caller.as_deref()).await?;
    Ok(HttpResponse::Ok().json(LinkView::from(link)))
}

#[derive(Serialize, Deserialize)]
struct GridPosition {
    grid: String,
    after: i32,
}

#[derive(Serialize, Deserialize)]
struct SearchPosition {
    q: String,
    rank: f32,
    id: i64,
}

fn cursor_error(e: impl ToString) -> ApiError {
    ApiError::invalid_fields(vec![FieldError::new("cursor", e.to_string())])
}

/// A grid's links by position (`grid=`), or a ranked full-text search over
/// your own links (`q=`).
#[utoipa::path(
    tag = "links",
    params(ListQuery),
    responses(
        (status = 200, body = LinkPage),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, description = "q= without a token", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/links")]
pub async fn list_links(
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let params = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = params
        .limit()
        .map_err(|m| ApiError::invalid_fields(vec![FieldError::new("limit", m)]))?;
    let caller = caller.0.map(|a| a.user_id);
    match (query.grid, query.q) {
        (Some(grid), None) => grid_page(&state, grid, caller, params.cursor, limit).await,
        (None, Some(q)) => {
            let owner = caller
                .ok_or_else(|| ApiError::Unauthorized("search needs an access token".into()))?;
            let q = domain::search_query(&q)
                .map_err(|m| ApiError::invalid_fields(vec![FieldError::new("q", m)]))?;
            search_page(&state, owner, q, params.cursor, limit).await
        }
        _ => Err(ApiError::bad_request("give either grid= or q=")),
    }
}

async fn grid_page(
    state: &AppState,
    grid: String,
    caller: Option<String>,
    cursor: Option<String>,
    limit: i64,
) -> Result<HttpResponse, ApiError> {
    let after = match cursor {
        None => None,
        Some(cursor) => {
            let position: GridPosition = state.cursors.decode(&cursor).map_err(cursor_error)?;
            if position.grid != grid {
                return Err(cursor_error("the cursor belongs to another listing"));
            }
            Some(position.after)
        }
    };
    let grids = state.grids.scoped();
    visible_grid(&grids, &grid, caller.as_deref()).await?;
    let mut conn = state.pool.get().await?;
    let mut rows = links::page(&mut conn, &grid, after, limit + 1).await?;
    let next_cursor = next_page(&mut rows, limit).map(|last| {
        state.cursors.encode(&GridPosition {
            grid: grid.clone(),
            after: last.position.unwrap_or_default(),
        })
    });
    Ok(HttpResponse::Ok().json(LinkPage {
        items: rows.into_iter().map(LinkView::from).collect(),
        next_cursor,
    }))
}

async fn search_page(
    state: &AppState,
    owner: String,
    q: String,
    cursor: Option<String>,
    limit: i64,
) -> Result<HttpResponse, ApiError> {
    let after = match cursor {
        None => None,
        Some(cursor) => {
            let position: SearchPosition = state.cursors.decode(&cursor).map_err(cursor_error)?;
            if position.q != q {
                return Err(cursor_error("the cursor belongs to another search"));
            }
            Some((position.rank, position.id))
        }
    };
    let mut conn = state.pool.get().await?;
    let mut hits = links::search(&mut conn, &owner, &q, after, limit + 1).await?;
    let next_cursor = next_page(&mut hits, limit).map(|last| {
        state.cursors.encode(&SearchPosition {
            q: q.clone(),
            rank: last.rank,
            id: last.link.id,
        })
    });
    Ok(HttpResponse::Ok().json(LinkPage {
        items: hits
            .into_iter()
            .map(|hit| LinkView::from(hit.link))
            .collect(),
        next_cursor,
    }))
}

/// Trims `rows` (fetched with one extra) to `limit`; the last kept row when
/// there is a next page.
fn next_page<T>(rows: &mut Vec<T>, limit: i64) -> Option<&T> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
    } else {
        None
    }
}

/// Change a link (owner only).
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = UpdateLink,
    responses(
        (status = 200, body = LinkView),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/links/{slug}")]
pub async fn update_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    body: Json<UpdateLink>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut fields = Fields::default();
    let changes = LinkChanges {
        title: body
            .title
            .and_then(|t| fields.check("title", domain::title(&t))),
        url: body.url.and_then(|u| fields.check("url", domain::url(&u))),
        background: body
            .background
            .and_then(|b| fields.check("background", domain::background(&b))),
        width: body
            .width
            .and_then(|w| fields.check("width", domain::cells(w))),
        height: body
            .height
            .and_then(|h| fields.check("height", domain::cells(h))),
    };
    let move_to = body
        .position
        .and_then(|p| fields.check("position", domain::position(p)));
    fields.finish()?;
    let grids = state.grids.scoped();
    let link = owned_link(&state, &grids, &slug, &auth.user_id).await?;
    let mut conn = state.pool.get().await?;
    let link = links::update(&mut conn, &link, changes, move_to).await?;
    Ok(HttpResponse::Ok().json(LinkView::from(link)))
}

/// Put a grid's links in a new order, in one transaction.
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    request_body = ReorderLinks,
    responses(
        (status = 204, description = "Reordered"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Someone else's grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such grid", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/links/order")]
pub async fn reorder_links(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<ReorderLinks>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.links.len() as i64 > MAX_LINKS_PER_GRID {
        return Err(ApiError::invalid_fields(vec![FieldError::new(
            "links",
            "too many links",
        )]));
    }
    let grids = state.grids.scoped();
    owned_grid(&grids, &body.grid, &auth.user_id).await?;
    let mut conn = state.pool.get().await?;
    links::reorder(&mut conn, &auth.user_id, &body.grid, &body.links).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete a link (owner only).
#[utoipa::path(
    tag = "links",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Not the owner", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/links/{slug}")]
pub async fn delete_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let grids = state.grids.scoped();
    let link = owned_link(&state, &grids, &slug, &auth.user_id).await?;
    let mut conn = state.pool.get().await?;
    links::soft_delete(&mut conn, &link).await?;
    Ok(HttpResponse::NoContent().finish())
}
