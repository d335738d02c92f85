//! GET /r/{slug}: a visitor follows a link. A live link on a public or
//! unlisted grid answers 302 to its own stored URL (never anywhere else) and
//! counts one click; anything else is 404 and counts nothing. Where a link
//! goes is cached beside the owner's pages and dropped with them, so a click
//! costs a Redis read and no backend call.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use gridlink_http::Query;
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::LinkSlug;
use gridlink_problem::ApiError;
use links_client::LinkTarget;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::assembly::call;
use crate::edge;
use crate::state::Gateway;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedirectQuery {
    /// Where the visitor came from, as the shared URL says (`qr`, `share`,
    /// ...): counted with the click.
    #[param(pattern = "^[a-z0-9_-]{1,32}$")]
    pub src: Option<String>,
}

/// Follow a link: 302 to the link's URL, counting one click. Only live
/// links on public or unlisted grids redirect.
#[utoipa::path(
    tag = "links",
    params(("slug" = LinkSlug, Path), RedirectQuery),
    responses(
        (status = 302, description = "To the link's own URL", headers(("location" = String, description = "The link's URL"))),
        (status = 400, description = "A bad `src`", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, deleted, not live, or on a private grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "The links service failed", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The links service is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "The links service did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/r/{slug}")]
pub async fn follow(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    slug: web::Path<String>,
    query: Query<RedirectQuery>,
) -> HttpResponse {
    let admitted = match edge::admit(&req, &gateway, &gateway.redirect).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let mut response = match answer(&req, &gateway, &slug, query.into_inner()).await {
        Ok(response) | Err(response) => response,
    };
    admitted.decorate(&mut response);
    response
}

async fn answer(
    req: &HttpRequest,
    gateway: &Gateway,
    slug: &str,
    query: RedirectQuery,
) -> Result<HttpResponse, HttpResponse> {
    let source = match query.src {
        Some(src) if !is_source(&src) => {
            let problem = ApiError::invalid_field("src", "must be 1 to 32 of a-z, 0-9, _ and -");
            return Err(problem.error_response());
        }
        src => src,
    };
    let slug = LinkSlug::parse(slug).map_err(|_| no_such_link())?;
    let target = target(gateway, &slug)
        .await?
        .filter(|target| target.redirects)
        .ok_or_else(no_such_link)?;
    gateway.visits.clicked(req, gateway, &target, source).await;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, target.url))
        // Every click must reach the gateway to be counted.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// `[a-z0-9_-]{1,32}`.
fn is_source(src: &str) -> bool {
    (1..=32).contains(&src.len())
        && src
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn no_such_link() -> HttpResponse {
    ApiError::NotFound("no such link".into()).error_response()
}

/// Where `slug` goes, from the cache or else the links service (and then
/// cached under its owner, until its window next opens or closes).
pub async fn target(
    gateway: &Gateway,
    slug: &LinkSlug,
) -> Result<Option<LinkTarget>, HttpResponse> {
    let key = format!("r:{slug}");
    if let Some(cached) = gateway.pages.get_bytes(&key).await
        && let Ok(target) = serde_json::from_slice::<LinkTarget>(&cached)
    {
        return Ok(Some(target));
    }
    let started = Instant::now();
    let target = call("link", &gateway.links, gateway.links_client.target(slug)).await?;
    if let Some(target) = &target {
        let value = serde_json::to_vec(target).expect("a target serialises");
        gateway
            .pages
            .put_bytes(&key, &target.owner, value, started, target.changes_at)
            .await;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_a_short_lowercase_word() {
        for good in ["qr", "share", "a", "x_y-1", &"a".repeat(32)] {
            assert!(is_source(good), "{good}");
        }
        for bad in ["", "QR", "a b", "é", "a/b", &"a".repeat(33)] {
            assert!(!is_source(bad), "{bad}");
        }
    }
}
