//! Visit counting: following links (`/r/{slug}`), a sustained stream of
//! clicks the analytics service must count exactly and soon, and the
//! owner's reading of a year of a link's counts.

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Outcome, Scenario, Worker, expect};

/// How long the stream's clicks may take to be counted once it ends
/// before the benchmark gives up.
const GIVE_UP: Duration = Duration::from_secs(60);
/// The links the redirect scenario follows: a few hundred shared links
/// drawing the clicks, as when posts go viral (each is looked up once,
/// then served from the cache).
const HOT_LINKS: usize = 256;

impl Scenario {
    /// A visitor follows one of the hot links: a 302 from the gateway, which
    /// counts the click (a Redis read, no backend call once cached).
    pub(super) async fn redirect(&self, worker: &mut Worker) -> Outcome {
        let links = &self.target.sample.links;
        let slug = &links[worker.rng.usize(..links.len().min(HOT_LINKS))];
        let path = format!("/r/{slug}?src=bench");
        expect(self.target.request(Method::GET, &path), StatusCode::FOUND)
            .await
            .map(drop)
    }

    /// A click on the benchmark owner's link (every worker the same owner),
    /// so what the analytics service counted can be read back.
    pub(super) async fn ingest(&self, worker: &mut Worker) -> Outcome {
        let account = worker.account.as_ref().expect("signed in");
        let path = format!("/r/{}?src=bench", account.shown);
        expect(self.target.request(Method::GET, &path), StatusCode::FOUND)
            .await
            .map(drop)
    }

    /// The owner reads a year of their link's daily counts, in their zone.
    pub(super) async fn stats_year(&self, worker: &mut Worker) -> Outcome {
        let account = worker.account.as_ref().expect("signed in");
        let today = Utc::now().date_naive();
        let from = today - Days::new(364);
        let path = format!(
            "/api/v1/stats/links/{}?from={from}&to={today}&tz=Europe/Paris",
            account.shown
        );
        expect(
            self.target
                .request(Method::GET, &path)
                .bearer_auth(&account.token),
            StatusCode::OK,
        )
        .await
        .map(drop)
    }

    /// The clicks the analytics service has counted for the owner of
    /// `workers`' account (the ingest scenario's), over the last two days.
    pub async fn counted(&self, workers: &[Worker]) -> anyhow::Result<u64> {
        let account = workers
            .first()
            .and_then(|w| w.account.as_ref())
            .ok_or_else(|| anyhow::anyhow!("the ingest scenario signs in"))?;
        let today = Utc::now().date_naive();
        let path = format!(
            "/api/v1/stats/summary?from={}&to={today}",
            today - Days::new(1)
        );
        let summary: Value = self
            .target
            .request(Method::GET, &path)
            .bearer_auth(&account.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        summary["clicks"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("a summary without clicks: {summary}"))
    }

    /// Waits until `expected` clicks more than `before` are counted; returns
    /// how long after the stream ended that took, and what was counted.
    pub async fn drained(
        &self,
        workers: &[Worker],
        before: u64,
        expected: u64,
    ) -> anyhow::Result<(Duration, u64)> {
        let ended = Instant::now();
        loop {
            let counted = self.counted(workers).await? - before;
            if counted >= expected || ended.elapsed() > GIVE_UP {
                // A little longer, to see that nothing more arrives.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let settled = self.counted(workers).await? - before;
                return Ok((ended.elapsed() - Duration::from_millis(500), settled));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
