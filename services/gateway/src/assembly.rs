//! The pages the gateway assembles itself (the profile, a grid's page): the
//! backend calls behind them, each under its backend's circuit breaker (a
//! failure answered as a problem naming the part that failed), and their
//! answers from the page cache, with ETags.

use std::time::Instant;

use actix_web::http::header::{self, ContentType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use gridlink_ids::UserId;
use gridlink_problem::{ApiError, FieldError};
use gridlink_rest_client::ClientError;

use crate::page_cache::{Encoding, Page, PageCache};
use crate::state::Backend;

/// A failed part of a page, said as the problem's `errors`.
fn part_failed(part: &str, backend: &Backend, error: &ClientError) -> HttpResponse {
    let detail = format!(
        "the page's {part} could not be loaded from the {} service",
        backend.name
    );
    let problem = match error {
        ClientError::Timeout { .. } => ApiError::GatewayTimeout(detail),
        ClientError::Unreachable { .. } => ApiError::unavailable(detail),
        _ => ApiError::BadGateway(detail),
    };
    problem
        .with_errors(vec![FieldError::new(part, error.to_string())])
        .error_response()
}

fn circuit_open(part: &str, backend: &Backend, wait: std::time::Duration) -> HttpResponse {
    ApiError::Unavailable {
        detail: format!(
            "the page's {part} are unavailable: the {} service is failing",
            backend.name
        ),
        retry_after_secs: Some(wait.as_secs().max(1)),
    }
    .with_errors(vec![FieldError::new(part, "circuit open")])
    .error_response()
}

/// Runs one backend call under that backend's circuit breaker; a failure is
/// the page's answer.
pub async fn call<T>(
    part: &str,
    backend: &Backend,
    work: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, HttpResponse> {
    let permit = backend
        .breaker
        .admit()
        .map_err(|wait| circuit_open(part, backend, wait))?;
    let result = work.await;
    let failed = matches!(
        &result,
        Err(ClientError::Timeout { .. }
            | ClientError::Unreachable { .. }
            | ClientError::Status {
                status: 502..=504,
                ..
            })
    );
    permit.record(!failed);
    result.map_err(|e| part_failed(part, backend, &e))
}

/// A page the gateway assembled: its JSON, whose page it is (what makes it
/// stale is filed under them), and when it next changes by itself.
pub struct Assembled {
    pub body: Bytes,
    pub owner: UserId,
    pub changes_at: Option<DateTime<Utc>>,
}

/// How a page may be kept downstream: a CDN or proxy may keep it for a
/// second (a spike of visitors costs one request per second per edge), a
/// browser revalidates every time (a 304 with the page's ETag is cheap), so
/// a change shows downstream at most a second after it shows here.
const CACHE_CONTROL: &str = "public, max-age=0, s-maxage=1, must-revalidate";

/// Answers a page from the cache at `key`, or assembles it and caches it;
/// `If-None-Match` with the page's ETag is a 304 either way. With the
/// answer comes whose page it was, if there was one.
pub async fn cached_page(
    req: &HttpRequest,
    cache: &PageCache,
    key: &str,
    assemble: impl Future<Output = Result<Assembled, HttpResponse>>,
) -> (HttpResponse, Option<UserId>) {
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok());
    if let Some(page) = cache.get(key).await
        && let Some(response) = answer(req, &page, if_none_match, "hit")
    {
        return (response, Some(page.owner));
    }
    let started = Instant::now();
    match assemble.await {
        Ok(assembled) => {
            let page = Page::new(assembled.body, assembled.owner);
            cache.put(key, &page, started, assembled.changes_at).await;
            let response = answer(req, &page, if_none_match, "miss")
                .expect("a page just assembled has its JSON");
            (response, Some(page.owner))
        }
        Err(response) => (response, None),
    }
}

/// The answer `page` makes to `req`; `None` if the page (read back from the
/// cache) cannot make it.
fn answer(
    req: &HttpRequest,
    page: &Page,
    if_none_match: Option<&str>,
    how: &'static str,
) -> Option<HttpResponse> {
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok());
    let (bytes, encoding, etag) = page.representation(Encoding::chosen(accept))?;
    let not_modified = if_none_match.is_some_and(|tags| page.matches(tags));
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("x-cache", how));
    if not_modified {
        return Some(response.finish());
    }
    if let Some(coding) = encoding.header() {
        response.insert_header((header::CONTENT_ENCODING, coding));
    }
    Some(response.content_type(ContentType::json()).body(bytes))
}
