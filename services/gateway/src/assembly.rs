//! The pages the gateway assembles itself (the profile, a grid's page): the
//! backend calls behind them, each under its backend's circuit breaker (a
//! failure answered as a problem naming the part that failed), and their
//! answers from the page cache, with ETags.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{self, ContentType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use gridlink_ids::UserId;
use gridlink_problem::{ApiError, FieldError};
use gridlink_rest_client::ClientError;

use crate::edge;
use crate::page_cache::{Accepted, Page, PageCache};
use crate::routes::Operation;
use crate::state::{Backend, Gateway};

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

/// Admits `req` for `operation`, then answers the page at `key` (or the
/// problem that there is none) from the cache, or assembles it, answers it
/// and caches it; `If-None-Match` with the page's ETag is a 304 either way.
/// The cache is read while the caller is admitted (a refusal just drops
/// what was read); a page is cached after its answer is made. With the
/// answer comes whose page it was, if there was one.
pub async fn visitor_page(
    req: &HttpRequest,
    gateway: &Gateway,
    operation: &Operation,
    key: Result<String, HttpResponse>,
    assemble: impl Future<Output = Result<Assembled, HttpResponse>>,
) -> (HttpResponse, Option<UserId>) {
    let lookup = async {
        match &key {
            Ok(key) => gateway.pages.get(key).await,
            Err(_) => None,
        }
    };
    let (admitted, cached) = tokio::join!(edge::admit(req, gateway, operation), lookup);
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(refusal) => return (refusal, None),
    };
    let (mut response, owner) = match key {
        Err(problem) => (problem, None),
        Ok(key) => cached_page(req, &gateway.pages, key, cached, assemble).await,
    };
    admitted.decorate(&mut response);
    (response, owner)
}

async fn cached_page(
    req: &HttpRequest,
    cache: &Arc<PageCache>,
    key: String,
    cached: Option<Page>,
    assemble: impl Future<Output = Result<Assembled, HttpResponse>>,
) -> (HttpResponse, Option<UserId>) {
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok());
    let accepted = Accepted::of(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|value| value.to_str().ok()),
    );
    if let Some(mut page) = cached {
        let not_modified = if_none_match.is_some_and(|tags| page.matches(tags));
        if accepted.brotli && !not_modified && page.add_brotli() {
            let (cache, key, page) = (Arc::clone(cache), key.clone(), page.clone());
            actix_web::rt::spawn(async move { cache.fill(&key, &page).await });
        }
        if let Some(response) = answer(&page, accepted, if_none_match, "hit") {
            return (response, Some(page.owner));
        }
    }
    let started = Instant::now();
    match assemble.await {
        Ok(assembled) => {
            let mut page = Page::new(assembled.body, assembled.owner);
            if accepted.brotli && !accepted.gzip {
                page.add_brotli();
            }
            let response = answer(&page, accepted, if_none_match, "miss")
                .expect("a page just assembled has its JSON");
            let owner = page.owner.clone();
            let cache = Arc::clone(cache);
            actix_web::rt::spawn(async move {
                cache.put(&key, &page, started, assembled.changes_at).await;
            });
            (response, Some(owner))
        }
        Err(response) => (response, None),
    }
}

/// The answer `page` makes to a client taking `accepted`; `None` if the
/// page (read back from the cache) cannot make it.
fn answer(
    page: &Page,
    accepted: Accepted,
    if_none_match: Option<&str>,
    how: &'static str,
) -> Option<HttpResponse> {
    let (bytes, encoding, etag) = page.representation(accepted)?;
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
