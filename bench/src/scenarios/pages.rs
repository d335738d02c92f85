//! The visitors' pages against the gateways' shared cache: hits, 304
//! revalidations, misses, every page cached at once, and how long a write
//! takes to show. Page requests accept compressed answers, as browsers do.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT_ENCODING, ETAG, IF_NONE_MATCH};

use super::{Failure, Outcome, Scenario, Target, Worker, answer, expect, username};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::json;

/// The users whose pages the hit and 304 scenarios read: past the writers'
/// accounts, so nothing changes them during a run.
const HOT_USERS: std::ops::Range<u32> = 1_000..1_064;
/// The profile's default page size; the miss scenario asks for larger
/// ones (the same ten grids, under another key) once every user was asked.
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 50;
/// How long a write may take to show before it counts as a failure.
const GIVE_UP: Duration = Duration::from_secs(10);

impl Target {
    fn page(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
            .header(ACCEPT_ENCODING, "br, gzip")
    }
}

fn profile(user: u32) -> String {
    format!("/api/v1/profiles/{}", username(user))
}

impl Scenario {
    pub(super) async fn page_hit(&self, worker: &mut Worker) -> Outcome {
        let path = profile(worker.rng.u32(HOT_USERS));
        expect(self.target.page(&path), StatusCode::OK)
            .await
            .map(drop)
    }

    /// A client holding the page's ETag asks again: 304 (the first ask of
    /// each page, in the warm-up, gets it).
    pub(super) async fn page_revalidate(&self, worker: &mut Worker) -> Outcome {
        let user = worker.rng.u32(HOT_USERS);
        let request = self.target.page(&profile(user));
        let Some(etag) = worker.etags.get(&user) else {
            let (headers, _) = answer(request, StatusCode::OK).await?;
            let etag = headers.get(ETAG).and_then(|v| v.to_str().ok());
            let etag = etag.ok_or_else(|| Failure {
                status: Some(200),
                what: "a page without an ETag".into(),
            })?;
            worker.etags.insert(user, etag.to_owned());
            return Ok(());
        };
        expect(
            request.header(IF_NONE_MATCH, etag),
            StatusCode::NOT_MODIFIED,
        )
        .await
        .map(drop)
    }

    /// Pages in turn: every user at the default page size, then every user
    /// at the next size, so no key repeats until the cache is emptied; an
    /// answer from the cache is a failure.
    pub(super) async fn page_miss(&self) -> Outcome {
        let users = u64::from(self.target.endpoints.users);
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        let limit = DEFAULT_LIMIT + turn / users;
        if limit > MAX_LIMIT {
            return Err(Failure {
                status: None,
                what: "every page was asked for: run the miss scenario for less time".into(),
            });
        }
        let path = format!("{}?limit={limit}", profile((turn % users) as u32));
        let (headers, _) = answer(self.target.page(&path), StatusCode::OK).await?;
        match headers.get("x-cache").and_then(|v| v.to_str().ok()) {
            Some("miss") => Ok(()),
            other => Err(Failure {
                status: Some(200),
                what: format!("expected a miss, got x-cache {other:?}"),
            }),
        }
    }

    /// Each user's page in turn, round and round: after the first round,
    /// every profile is cached.
    pub(super) async fn page_every(&self) -> Outcome {
        let users = u64::from(self.target.endpoints.users);
        let user = (self.turn.fetch_add(1, Ordering::Relaxed) % users) as u32;
        expect(self.target.page(&profile(user)), StatusCode::OK)
            .await
            .map(drop)
    }

    /// Waits until the writer's profile is served from the cache (after a
    /// change, its owner's pages settle for a second first), renames a link
    /// on it, then reads it until the new title shows: the latency is from
    /// the rename's answer, the trip of the change's event.
    pub(super) async fn invalidation(&self, worker: &mut Worker) -> Outcome {
        let account = worker.account.as_mut().expect("writers have accounts");
        let path = format!("/api/v1/profiles/{}", account.name);
        let waiting = Instant::now();
        loop {
            let (headers, _) = answer(self.target.page(&path), StatusCode::OK).await?;
            if headers.get("x-cache").is_some_and(|v| v == "hit") {
                break;
            }
            if waiting.elapsed() > GIVE_UP {
                return Err(Failure {
                    status: Some(200),
                    what: format!("the writer's profile was not cached within {GIVE_UP:?}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        account.writes += 1;
        let title = format!("Shown {} {:08x}", account.writes, fastrand::u32(..));
        expect(
            self.target
                .request(Method::PATCH, &format!("/api/v1/links/{}", account.shown))
                .bearer_auth(&account.token)
                .json(&json!({"title": title})),
            StatusCode::OK,
        )
        .await?;
        let acknowledged = Instant::now();
        loop {
            let page = expect(self.target.request(Method::GET, &path), StatusCode::OK).await?;
            if String::from_utf8_lossy(&page).contains(&title) {
                worker.measured = Some(acknowledged.elapsed());
                return Ok(());
            }
            if acknowledged.elapsed() > GIVE_UP {
                return Err(Failure {
                    status: Some(200),
                    what: format!("a renamed link was not shown within {GIVE_UP:?}"),
                });
            }
        }
    }
}
