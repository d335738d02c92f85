//! What the benchmark asks of the stack. Every scenario runs against the
//! seed-scale dataset of deploy/bench/load.sh: users `user_00000` …, each with
//! ten public grids of ten links.

use std::sync::Arc;

use anyhow::{Context, bail};
use auth_client::AuthClient;
use grids_client::GridsClient;
use links_client::LinksClient;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

mod pages;
mod visits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GET /api/v1/profiles/{username} through the gateway.
    Profile,
    /// The profile's three backend calls, made on the services with their client crates.
    ProfileDirect,
    /// GET /api/v1/links/{slug} through the gateway.
    Link,
    /// GET /api/v1/links?grid= through the gateway.
    GridLinks,
    /// POST /api/v1/auth/login (and the logout after it) through the gateway:
    /// bounded by argon2.
    Login,
    /// 80% reads (profiles, links, grid pages), 15% writes, 5% logins.
    Mixed,
    /// The mix, plus 1% account churn: sign up, write a grid and a link,
    /// delete the account (which fans out over the broker).
    Soak,
    /// The profile page of a few users nobody writes to: cache hits.
    PageHit,
    /// The same pages with the ETag the client holds: 304s.
    PageRevalidate,
    /// Profile pages nobody asked for since the cache was emptied: misses.
    PageMiss,
    /// Every user's profile page in turn, until all are cached (memory).
    PageEvery,
    /// A writer renames a link and reads their profile until it shows the
    /// new title: the latency is from the write's acknowledgement.
    Invalidation,
    /// GET /r/{slug}?src=bench: a visitor follows a link (302, one click).
    Redirect,
    /// Clicks on one owner's link (run with `--rate`): the report says how
    /// long after the stream the analytics service had counted them all.
    Ingest,
    /// The owner's daily series of a link over a year (deploy/bench/run.sh
    /// seeds a year of counts for it).
    StatsYear,
}

impl Kind {
    /// What `make bench` runs; the soak has its own target.
    pub const BENCH: [Kind; 13] = [
        Kind::Redirect,
        Kind::StatsYear,
        Kind::PageHit,
        Kind::PageRevalidate,
        Kind::PageMiss,
        Kind::PageEvery,
        Kind::Invalidation,
        Kind::Profile,
        Kind::ProfileDirect,
        Kind::Link,
        Kind::GridLinks,
        Kind::Login,
        Kind::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Profile => "profile",
            Kind::ProfileDirect => "profile-direct",
            Kind::Link => "link",
            Kind::GridLinks => "grid-links",
            Kind::Login => "login",
            Kind::Mixed => "mixed",
            Kind::Soak => "soak",
            Kind::PageHit => "page-hit",
            Kind::PageRevalidate => "page-304",
            Kind::PageMiss => "page-miss",
            Kind::PageEvery => "page-every",
            Kind::Invalidation => "invalidation",
            Kind::Redirect => "redirect",
            Kind::Ingest => "ingest",
            Kind::StatsYear => "stats-year",
        }
    }

    pub fn parse(name: &str) -> anyhow::Result<Kind> {
        Kind::BENCH
            .into_iter()
            .chain([Kind::Soak, Kind::Ingest])
            .find(|kind| kind.name() == name)
            .with_context(|| format!("unknown scenario {name:?}"))
    }

    /// Writers sign in before the clock starts.
    fn needs_account(self) -> bool {
        matches!(
            self,
            Kind::Mixed | Kind::Soak | Kind::Invalidation | Kind::Ingest | Kind::StatsYear
        )
    }

    /// Every worker acts for the first account (one owner's counts).
    fn one_owner(self) -> bool {
        matches!(self, Kind::Ingest | Kind::StatsYear)
    }
}

/// Where the stack is and how to call it.
pub struct Endpoints {
    pub gateway: String,
    pub auth: String,
    pub grids: String,
    pub links: String,
    /// The gateway's own service token, for the internal routes of the direct scenario.
    pub service_token: String,
    pub password: String,
    pub users: u32,
    /// `user_00000` … with their own real password hash: the benchmark logs
    /// in and writes as them.
    pub accounts: u32,
}

/// Slugs of real grids and links, read from a sample of profiles.
#[derive(Default)]
struct Sample {
    grids: Vec<String>,
    links: Vec<String>,
}

pub struct Target {
    http: reqwest::Client,
    endpoints: Endpoints,
    users: AuthClient,
    grids: GridsClient,
    links: LinksClient,
    sample: Sample,
}

/// One worker's state: its random stream and, for writers, its account.
pub struct Worker {
    rng: fastrand::Rng,
    account: Option<Account>,
    /// The ETags this client holds, by user index (the 304 scenario).
    etags: std::collections::HashMap<u32, String>,
    /// The latency of the last call, when it is not the call's duration.
    pub measured: Option<std::time::Duration>,
}

struct Account {
    name: String,
    token: String,
    grid: String,
    /// A link on the first page of their profile, which they never delete.
    shown: String,
    /// The link this writer created and has not deleted yet.
    link: Option<String>,
    writes: u64,
}

pub struct Scenario {
    pub kind: Kind,
    target: Arc<Target>,
    /// The next page of a scenario that walks through pages in turn.
    turn: std::sync::atomic::AtomicU64,
}

/// A request that did not get the answer it should have.
#[derive(Debug)]
pub struct Failure {
    /// The status answered; `None` when there was no answer at all.
    pub status: Option<u16>,
    pub what: String,
}

impl Failure {
    /// A 5xx or no answer: the stack's fault, not the request's.
    pub fn server_side(&self) -> bool {
        self.status.is_none_or(|status| status >= 500)
    }
}

impl From<reqwest::Error> for Failure {
    fn from(error: reqwest::Error) -> Self {
        Self {
            status: error.status().map(|s| s.as_u16()),
            what: causes(&error.without_url()),
        }
    }
}

/// An error and its sources on one line: "error sending request: connection
/// closed before message completed" says more than the outermost alone.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// "GET /api/v1/links/…": the route a request took, with the slugs and names
/// that would make every failure look different left out.
fn route(method: &Method, url: &reqwest::Url) -> String {
    const WORDS: [&str; 5] = ["login", "signup", "refresh", "logout", "me"];
    let mut route = String::new();
    for (i, segment) in url.path().split('/').skip(1).enumerate() {
        route.push('/');
        route.push_str(if i < 3 || WORDS.contains(&segment) {
            segment
        } else {
            "…"
        });
    }
    if let Some(query) = url.query() {
        let name = query.split('=').next().unwrap_or_default();
        route.push_str(&format!("?{name}=…"));
    }
    format!("{method} {route}")
}

impl From<auth_client::ClientError> for Failure {
    fn from(error: auth_client::ClientError) -> Self {
        Self {
            status: error.status(),
            what: error.to_string(),
        }
    }
}

type Outcome = Result<(), Failure>;

fn username(index: u32) -> String {
    format!("user_{index:05}")
}

impl Target {
    pub async fn connect(endpoints: Endpoints, concurrency: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency.max(64))
            // A 302 is the answer measured (the redirect scenario).
            .redirect(reqwest::redirect::Policy::none())
            // A browser's, so visits count as a visitor's (no agent is a bot's).
            .user_agent("Mozilla/5.0 (X11; Linux x86_64) gridlink-bench/1")
            .tcp_nodelay(true)
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let settings = |url: &str| {
            let mut settings = auth_client::ClientSettings::local(url);
            settings.service_token = Some(gridlink_config::Secret::new(
                endpoints.service_token.clone(),
            ));
            settings.timeout = std::time::Duration::from_secs(30);
            settings
        };
        let users = AuthClient::new(settings(&endpoints.auth));
        let grids = GridsClient::new(settings(&endpoints.grids));
        let links = LinksClient::new(settings(&endpoints.links));
        let mut target = Self {
            http,
            endpoints,
            users,
            grids,
            links,
            sample: Sample::default(),
        };
        target.sample = target.sample_profiles(200).await?;
        Ok(target)
    }

    async fn profile(&self, username: &str) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1/profiles/{username}", self.endpoints.gateway);
        let response = self.http.get(&url).send().await.with_context(|| {
            format!(
                "the gateway at {} is not answering (make up)",
                self.endpoints.gateway
            )
        })?;
        match response.status() {
            StatusCode::OK => Ok(response.json().await?),
            StatusCode::NOT_FOUND => {
                bail!("{username} does not exist: load the dataset first (make bench-load)")
            }
            StatusCode::TOO_MANY_REQUESTS => bail!(
                "the gateway rate-limits the benchmark: start the stack with raised limits, \
                 RATE_LIMIT_ANONYMOUS_PER_MINUTE=1000000000 RATE_LIMIT_USER_PER_MINUTE=1000000000 make up"
            ),
            status => bail!("GET {url} answered {status}"),
        }
    }

    async fn sample_profiles(&self, count: u32) -> anyhow::Result<Sample> {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut sample = Sample::default();
        for _ in 0..count {
            let profile = self
                .profile(&username(rng.u32(0..self.endpoints.users)))
                .await?;
            for grid in profile["grids"].as_array().into_iter().flatten() {
                sample
                    .grids
                    .extend(grid["slug"].as_str().map(str::to_owned));
                for link in grid["links"].as_array().into_iter().flatten() {
                    sample
                        .links
                        .extend(link["slug"].as_str().map(str::to_owned));
                }
            }
        }
        if sample.links.is_empty() {
            bail!("the sampled profiles hold no links: load the dataset first (make bench-load)");
        }
        Ok(sample)
    }

    /// Signs in as a writer (one account per worker, shared when there are
    /// more workers than accounts) and picks one of their grids to write into.
    async fn account(&self, index: u32) -> anyhow::Result<Account> {
        let name = username(index % self.endpoints.accounts);
        let tokens: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.endpoints.gateway))
            .json(&json!({"login": name, "password": self.endpoints.password}))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("{name} cannot log in with the benchmark password"))?
            .json()
            .await?;
        let profile = self.profile(&name).await?;
        Ok(Account {
            token: tokens["access_token"]
                .as_str()
                .context("login answered no access token")?
                .to_owned(),
            grid: profile["grids"][0]["slug"]
                .as_str()
                .with_context(|| format!("{name} has no grid"))?
                .to_owned(),
            shown: profile["grids"][0]["links"][0]["slug"]
                .as_str()
                .with_context(|| format!("{name}'s first grid has no link"))?
                .to_owned(),
            name,
            link: None,
            writes: 0,
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.endpoints.gateway))
    }

    fn random_user(&self, rng: &mut fastrand::Rng) -> String {
        username(rng.u32(0..self.endpoints.users))
    }
}

/// Sends the request, reads the whole body, and checks the status. A wrong
/// answer is described by its status, route and problem detail.
async fn expect(request: RequestBuilder, want: StatusCode) -> Result<Vec<u8>, Failure> {
    answer(request, want).await.map(|(_, body)| body)
}

/// [`expect`], with the answer's headers.
async fn answer(
    request: RequestBuilder,
    want: StatusCode,
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), Failure> {
    let (client, request) = request.build_split();
    let request = request?;
    let route = route(request.method(), request.url());
    let no_answer = |error: reqwest::Error| Failure {
        status: None,
        what: format!("no answer to {route}: {}", causes(&error.without_url())),
    };
    let response = client.execute(request).await.map_err(no_answer)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(no_answer)?;
    if status == want {
        return Ok((headers, body.to_vec()));
    }
    let problem: Value = serde_json::from_slice(&body).unwrap_or_default();
    let detail = problem["detail"].as_str().or(problem["title"].as_str());
    Err(Failure {
        status: Some(status.as_u16()),
        what: format!(
            "{status} on {route}: {}",
            detail.unwrap_or("(no problem detail)")
        ),
    })
}

impl Scenario {
    pub fn new(kind: Kind, target: Arc<Target>) -> Self {
        Self {
            kind,
            target,
            turn: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Before each run (and its warm-up): the miss scenario empties the
    /// page cache, so every page it asks for is one nobody asked for; the
    /// every-page one too, so what Redis holds after it is every profile.
    pub fn prepare(&self) -> anyhow::Result<()> {
        if matches!(self.kind, Kind::PageMiss | Kind::PageEvery) {
            crate::redis::forget_pages()?;
            self.turn.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// One worker per connection; writers are signed in here, before the clock starts.
    pub async fn workers(&self, count: usize) -> anyhow::Result<Vec<Worker>> {
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let account = if self.kind.needs_account() {
                let index = if self.kind.one_owner() { 0 } else { index };
                Some(self.target.account(index as u32).await?)
            } else {
                None
            };
            workers.push(Worker {
                rng: fastrand::Rng::with_seed(index as u64 + 1),
                account,
                etags: std::collections::HashMap::new(),
                measured: None,
            });
        }
        Ok(workers)
    }

    pub async fn call(&self, worker: &mut Worker) -> Outcome {
        match self.kind {
            Kind::Profile => self.profile(worker).await,
            Kind::ProfileDirect => self.profile_direct(worker).await,
            Kind::Link => self.link(worker).await,
            Kind::GridLinks => self.grid_links(worker).await,
            Kind::Login => self.login(worker).await,
            Kind::Mixed => self.mixed(worker).await,
            Kind::Soak if worker.rng.u32(0..100) == 0 => self.churn().await,
            Kind::Soak => self.mixed(worker).await,
            Kind::PageHit => self.page_hit(worker).await,
            Kind::PageRevalidate => self.page_revalidate(worker).await,
            Kind::PageMiss => self.page_miss().await,
            Kind::PageEvery => self.page_every().await,
            Kind::Invalidation => self.invalidation(worker).await,
            Kind::Redirect => self.redirect(worker).await,
            Kind::Ingest => self.ingest(worker).await,
            Kind::StatsYear => self.stats_year(worker).await,
        }
    }

    async fn profile(&self, worker: &mut Worker) -> Outcome {
        let path = format!(
            "/api/v1/profiles/{}",
            self.target.random_user(&mut worker.rng)
        );
        expect(self.target.request(Method::GET, &path), StatusCode::OK)
            .await
            .map(drop)
    }

    async fn profile_direct(&self, worker: &mut Worker) -> Outcome {
        let target = &self.target;
        let name = target.random_user(&mut worker.rng);
        let username = gridlink_ids::Username::parse(&name).map_err(|e| Failure {
            status: None,
            what: format!("{name}: {e}"),
        })?;
        let user = target
            .users
            .user_by_username(&username)
            .await?
            .ok_or_else(|| Failure {
                status: Some(404),
                what: format!("{name} not found"),
            })?;
        let grids = target.grids.public_grids(&user.id, None, None).await?;
        let slugs: Vec<gridlink_ids::GridSlug> = grids.items.into_iter().map(|g| g.slug).collect();
        target
            .links
            .links_of_grids(&slugs)
            .await
            .map(drop)
            .map_err(Failure::from)
    }

    async fn link(&self, worker: &mut Worker) -> Outcome {
        let slug = worker
            .rng
            .choice(&self.target.sample.links)
            .expect("sampled");
        let path = format!("/api/v1/links/{slug}");
        expect(self.target.request(Method::GET, &path), StatusCode::OK)
            .await
            .map(drop)
    }

    async fn grid_links(&self, worker: &mut Worker) -> Outcome {
        let slug = worker
            .rng
            .choice(&self.target.sample.grids)
            .expect("sampled");
        let path = format!("/api/v1/links?grid={slug}");
        expect(self.target.request(Method::GET, &path), StatusCode::OK)
            .await
            .map(drop)
    }

    /// A client signing in and, done, logging out: sessions are capped per
    /// user (the oldest ends), so clients that only ever sign in would end
    /// the writers' sessions under them.
    async fn login(&self, worker: &mut Worker) -> Outcome {
        let account = worker.rng.u32(0..self.target.endpoints.accounts);
        let body = json!({
            "login": username(account),
            "password": self.target.endpoints.password,
        });
        let signed_in = expect(
            self.target
                .request(Method::POST, "/api/v1/auth/login")
                .json(&body),
            StatusCode::OK,
        )
        .await?;
        let tokens: Value = serde_json::from_slice(&signed_in).unwrap_or_default();
        let logout = json!({"refresh_token": tokens["refresh_token"]});
        expect(
            self.target
                .request(Method::POST, "/api/v1/auth/logout")
                .json(&logout),
            StatusCode::NO_CONTENT,
        )
        .await
        .map(drop)
    }

    async fn mixed(&self, worker: &mut Worker) -> Outcome {
        match worker.rng.u32(0..100) {
            0..40 => self.profile(worker).await,
            40..60 => self.link(worker).await,
            60..80 => self.grid_links(worker).await,
            80..95 => self.write(worker).await,
            _ => self.login(worker).await,
        }
    }

    /// A new account with a grid and a link, deleted at once.
    async fn churn(&self) -> Outcome {
        let target = &self.target;
        // Not from the worker's seeded stream: that one repeats the same mix
        // every run, and a deleted account's username stays taken.
        let name = format!("churn_{:016x}", fastrand::u64(..));
        let password = &target.endpoints.password;
        let body = expect(
            target
                .request(Method::POST, "/api/v1/auth/signup")
                .json(&json!({
                    "username": name,
                    "email": format!("{name}@bench.example"),
                    "password": password,
                })),
            StatusCode::CREATED,
        )
        .await?;
        let signed: Value = serde_json::from_slice(&body).map_err(|e| Failure {
            status: Some(201),
            what: format!("an unreadable signup: {e}"),
        })?;
        let token = signed["access_token"].as_str().unwrap_or_default();
        let grid = expect(
            target
                .request(Method::POST, "/api/v1/grids")
                .bearer_auth(token)
                .json(&json!({"title": "churn"})),
            StatusCode::CREATED,
        )
        .await?;
        let grid: Value = serde_json::from_slice(&grid).unwrap_or_default();
        expect(
            target
                .request(Method::POST, "/api/v1/links")
                .bearer_auth(token)
                .json(
                    &json!({"grid": grid["slug"], "title": "churn", "url": "https://example.com"}),
                ),
            StatusCode::CREATED,
        )
        .await?;
        expect(
            target
                .request(Method::DELETE, "/api/v1/users/me")
                .bearer_auth(token)
                .json(&json!({"password": password})),
            StatusCode::ACCEPTED,
        )
        .await
        .map(drop)
    }

    /// A writer cycles create → edit → delete on one link, so the dataset
    /// keeps its size however long the run.
    async fn write(&self, worker: &mut Worker) -> Outcome {
        let account = worker.account.as_mut().expect("writers have accounts");
        let target = &self.target;
        let n = account.writes;
        account.writes += 1;
        match account.link.clone() {
            Some(slug) if n % 3 == 1 => expect(
                target
                    .request(Method::PATCH, &format!("/api/v1/links/{slug}"))
                    .bearer_auth(&account.token)
                    .json(&json!({"title": format!("Edited {n}")})),
                StatusCode::OK,
            )
            .await
            .map(drop),
            Some(slug) => {
                account.link = None;
                expect(
                    target
                        .request(Method::DELETE, &format!("/api/v1/links/{slug}"))
                        .bearer_auth(&account.token),
                    StatusCode::NO_CONTENT,
                )
                .await
                .map(drop)
            }
            None => {
                let body = expect(
                    target
                        .request(Method::POST, "/api/v1/links")
                        .bearer_auth(&account.token)
                        .json(&json!({
                            "grid": account.grid,
                            "title": format!("Written {n}"),
                            "url": format!("https://example.com/written/{n}"),
                        })),
                    StatusCode::CREATED,
                )
                .await?;
                let created: Value = serde_json::from_slice(&body).map_err(|e| Failure {
                    status: Some(201),
                    what: format!("an unreadable link: {e}"),
                })?;
                account.link = created["slug"].as_str().map(str::to_owned);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_leave_out_slugs_and_query_values() {
        let url = |path: &str| reqwest::Url::parse(&format!("http://gw{path}")).unwrap();
        assert_eq!(
            route(&Method::GET, &url("/api/v1/links/Ab3dE6gH")),
            "GET /api/v1/links/…"
        );
        assert_eq!(
            route(&Method::GET, &url("/api/v1/links?grid=Ab3dE6gH")),
            "GET /api/v1/links?grid=…"
        );
        assert_eq!(
            route(&Method::POST, &url("/api/v1/auth/login")),
            "POST /api/v1/auth/login"
        );
        assert_eq!(
            route(&Method::DELETE, &url("/api/v1/users/me")),
            "DELETE /api/v1/users/me"
        );
    }
}
