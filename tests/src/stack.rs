use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gridlink_config::Secret;
use gridlink_db::testing::TestDatabase;
use gridlink_events::BrokerSettings;
use gridlink_test_support::{
    ANALYTICS_TOKEN, GATEWAY_TOKEN, GRIDS_TOKEN, LINKS_TOKEN, Running, kit_config,
};

pub const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// The services, wired together (through an isolated topology when events run).
pub struct Stack {
    pub auth: Running,
    pub grids: Running,
    pub links: Running,
    /// Started when [`Options::analytics`] says so.
    pub analytics: Option<Running>,
    /// Started when [`Options::mailer`] names an SMTP server.
    pub mailer: Option<Running>,
    pub gateway: Option<Running>,
    pub events: BrokerSettings,
    with_events: bool,
    pub client: reqwest::Client,
    /// The auth service's signing key (PKCS#8 PEM, kid `test-key`), to forge
    /// tokens with in tests.
    pub signing_pem: String,
}

/// Adjusts a test gateway's configuration before it starts.
pub type GatewaySetup = Box<dyn FnOnce(&mut gateway::Config)>;

/// What to start.
pub struct Options {
    pub events: bool,
    pub brokers: BrokerUrls,
    /// Start a gateway, configured by this function.
    pub gateway: Option<GatewaySetup>,
    /// Route the grids service's database connections through this address
    /// (a fault-injection proxy in front of the test PostgreSQL server).
    pub grids_database_via: Option<SocketAddr>,
    /// Run the links service as its own binary in a child process, so the
    /// test can SIGKILL it (`stack.links.kill()`) and start it again.
    pub links_in_child: bool,
    /// Changes the in-process links service's configuration before it starts.
    pub links: Option<LinksSetup>,
    /// Start the analytics service too (the gateway's stats routes reach it).
    pub analytics: bool,
    /// Run the gateway as its own binary in a child process (so the test can
    /// SIGKILL it), with these extra environment variables; `gateway` is
    /// then not used.
    pub gateway_in_child: Option<Vec<(&'static str, String)>>,
    /// Start the mailer, sending to this SMTP URL (MailDev, or a proxy in
    /// front of it); auth's erasures then wait for it too.
    pub mailer: Option<String>,
    /// Changes the auth service's configuration before it starts.
    pub auth: Option<AuthSetup>,
}

/// Adjusts a test auth service's configuration before it starts.
pub type AuthSetup = Box<dyn FnOnce(&mut auth::Config)>;

/// Adjusts a test links service's configuration before it starts.
pub type LinksSetup = Box<dyn FnOnce(&mut links::Config)>;

impl Default for Options {
    fn default() -> Self {
        Self {
            events: true,
            brokers: BrokerUrls::default(),
            gateway: None,
            grids_database_via: None,
            links_in_child: false,
            links: None,
            analytics: false,
            gateway_in_child: None,
            mailer: None,
            auth: None,
        }
    }
}

/// How each service reaches the broker (a test may route one through a proxy).
pub struct BrokerUrls {
    pub auth: String,
    pub grids: String,
    pub links: String,
}

impl Default for BrokerUrls {
    fn default() -> Self {
        Self {
            auth: AMQP.into(),
            grids: AMQP.into(),
            links: AMQP.into(),
        }
    }
}

/// The same database URL, with the server's address replaced by `proxy`.
fn via(url: &Secret, proxy: SocketAddr) -> Secret {
    let url = url.expose();
    let host_start = url.find('@').map_or("postgres://".len(), |at| at + 1);
    let path_start = host_start
        + url[host_start..]
            .find('/')
            .expect("a database URL names a database");
    Secret::new(format!(
        "{}{proxy}{}",
        &url[..host_start],
        &url[path_start..]
    ))
}

fn with_url(settings: &BrokerSettings, url: &str) -> BrokerSettings {
    BrokerSettings {
        url: Secret::new(url),
        ..settings.clone()
    }
}

/// The links binary, configured as the in-process links service would be,
/// in a child process whose logs go to `target/test-logs/`. The binary always
/// consumes events (from the test's own topology).
fn links_child(
    db: TestDatabase,
    auth: &Running,
    grids: &Running,
    events: &BrokerSettings,
) -> Running {
    let (port, admin_port) = (free_port(), free_port());
    let log_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-logs");
    std::fs::create_dir_all(&log_dir).expect("target/ is writable");
    let log = std::fs::File::create(log_dir.join(format!("links-{port}.log"))).unwrap();
    let mut command = Command::new(service_binary("links"));
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("LINKS_ADDR", format!("127.0.0.1:{port}"))
        .env("ADMIN_ADDR", format!("127.0.0.1:{admin_port}"))
        .env("HTTP_WORKERS", "1")
        .env("DATABASE_URL", db.url.expose())
        .env("DATABASE_POOL_SIZE", "4")
        .env("AUTH_URL", &auth.url)
        .env("GRIDS_URL", &grids.url)
        .env("SERVICE_TOKEN", LINKS_TOKEN)
        .env(
            "INTERNAL_TOKENS",
            format!("gateway:{GATEWAY_TOKEN},grids:{GRIDS_TOKEN},links:{LINKS_TOKEN}"),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    following(&mut command, events);
    Running::child(port, admin_port, command, Some(db))
}

/// A child service's broker settings: the test's own topology.
fn following(command: &mut Command, events: &BrokerSettings) {
    command
        .env("AMQP_URL", events.url.expose())
        .env("EVENTS_EXCHANGE", &events.exchange)
        .env("EVENTS_QUEUE_PREFIX", &events.queue_prefix)
        .env("EVENTS_PREFETCH", events.prefetch.to_string())
        .env("EVENTS_DELIVERY_LIMIT", events.delivery_limit.to_string())
        .env(
            "OUTBOX_POLL_MS",
            events.poll_interval.as_millis().to_string(),
        );
}

/// The gateway binary in front of `auth`, `grids` and `links` (and
/// `analytics`), following the test's topology, with `extra` settings; its
/// logs go to `target/test-logs/`.
fn gateway_child(
    [auth, grids, links]: [&Running; 3],
    analytics: Option<&Running>,
    events: &BrokerSettings,
    extra: Vec<(&'static str, String)>,
) -> Running {
    let (port, admin_port) = (free_port(), free_port());
    let log_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-logs");
    std::fs::create_dir_all(&log_dir).expect("target/ is writable");
    let log = std::fs::File::create(log_dir.join(format!("gateway-{port}.log"))).unwrap();
    let mut command = Command::new(service_binary("gateway"));
    command
        .env_clear()
        .env("RUST_LOG", "info")
        .env("GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("ADMIN_ADDR", format!("127.0.0.1:{admin_port}"))
        .env("HTTP_WORKERS", "2")
        .env("AUTH_URL", &auth.url)
        .env("GRIDS_URL", &grids.url)
        .env("LINKS_URL", &links.url)
        .env("SERVICE_TOKEN", GATEWAY_TOKEN)
        .env("RATE_LIMIT_ANONYMOUS_PER_MINUTE", "1000000000")
        .env("RATE_LIMIT_USER_PER_MINUTE", "1000000000")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    following(&mut command, events);
    if let Some(analytics) = analytics {
        command.env("ANALYTICS_URL", &analytics.url);
    }
    for (name, value) in extra {
        command.env(name, value);
    }
    Running::child(port, admin_port, command, None)
}

/// A service's binary, built next to the tests' own executables
/// (target/<profile>/) by `make test`'s build step (`cargo build --bins`).
fn service_binary(name: &str) -> PathBuf {
    let test_executable = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = test_executable
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps/");
    let binary = profile_dir.join(name);
    assert!(
        binary.exists(),
        "{} is missing: build the services first (`cargo build --bins`; `make test` does)",
        binary.display()
    );
    binary
}

/// Tokens are checked against the JWKS of the stack's auth service, and the
/// service catches up on ended sessions from it as `caller`.
fn verified_by(auth: &Running, caller_token: &str) -> auth_client::TokenVerification {
    let mut settings = gridlink_rest_client::ClientSettings::local(&auth.url);
    settings.timeout = Duration::from_secs(2);
    settings.service_token = Some(Secret::new(caller_token));
    auth_client::TokenVerification::Jwks {
        auth: settings,
        audience: gridlink_access_token::TokenAudience::from_env(),
    }
}

/// A gateway in front of these services, as the stack starts one.
pub fn gateway_config(auth: &Running, grids: &Running, links: &Running) -> gateway::Config {
    let mut config = gateway::Config::from_env().unwrap();
    config.kit = kit_config(None);
    config.auth.base_url = auth.url.clone();
    config.grids.base_url = grids.url.clone();
    config.links.base_url = links.url.clone();
    for upstream in [
        &mut config.auth,
        &mut config.grids,
        &mut config.links,
        &mut config.analytics,
    ] {
        upstream.service_token = Some(Secret::new(GATEWAY_TOKEN));
    }
    config.trusted_proxies = gridlink_http::TrustedProxies::default();
    config
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

impl Stack {
    /// Another gateway in front of this stack's services (following the
    /// stack's events, when it runs them).
    pub fn gateway_config(&self) -> gateway::Config {
        let mut config = gateway_config(&self.auth, &self.grids, &self.links);
        config.kit.events = self.with_events.then(|| self.events.clone());
        config
    }

    /// Starts a gateway with `config`.
    pub async fn start_gateway(config: gateway::Config) -> Running {
        Running::serve(gateway::build(config).await.unwrap(), None)
    }

    pub async fn start() -> Self {
        Self::start_with(BrokerUrls::default()).await
    }

    pub async fn start_with(urls: BrokerUrls) -> Self {
        Self::start_options(Options {
            brokers: urls,
            ..Options::default()
        })
        .await
    }

    /// The services and a gateway in front of them, without events.
    pub async fn with_gateway(adjust: impl FnOnce(&mut gateway::Config) + 'static) -> Self {
        Self::start_options(Options {
            events: false,
            gateway: Some(Box::new(adjust)),
            ..Options::default()
        })
        .await
    }

    pub async fn start_options(options: Options) -> Self {
        let urls = options.brokers;
        let events_on = options.events;
        let name = format!("gltest-{}", uuid::Uuid::new_v4().simple());
        let events = BrokerSettings::isolated(Secret::new(AMQP), &name);

        let db = TestDatabase::create("auth", auth::MIGRATIONS).await;
        let mut config = auth::Config::from_env().unwrap();
        config.kit = kit_config(Some(&db));
        config.kit.events = events_on.then(|| with_url(&events, &urls.auth));
        // Auth believes the gateway's X-Forwarded-For, as `make up` and the
        // deployments configure it: its login throttle counts client addresses.
        config.trusted_proxies =
            gridlink_http::TrustedProxies::parse(&["127.0.0.1".to_owned()]).unwrap();
        // Erasure is complete when the services this stack runs confirmed it.
        config.erasure_services = ["grids", "links"]
            .into_iter()
            .chain(options.analytics.then_some("analytics"))
            .chain(options.mailer.is_some().then_some("mailer"))
            .map(str::to_owned)
            .collect();
        let signing_pem = auth::generate_pem().unwrap();
        config.signing_key.private_pem = Some(Secret::new(signing_pem.clone()));
        config.signing_key.key_id = Some("test-key".into());
        if let Some(adjust) = options.auth {
            adjust(&mut config);
        }
        let auth = Running::serve(auth::build(config).await.unwrap(), Some(db));

        let db = TestDatabase::create("grids", grids::MIGRATIONS).await;
        let mut config = grids::Config::from_env().unwrap();
        config.kit = kit_config(Some(&db));
        config.kit.events = events_on.then(|| with_url(&events, &urls.grids));
        if let (Some(proxy), Some(database)) =
            (options.grids_database_via, config.kit.database.as_mut())
        {
            database.url = via(&db.url, proxy);
        }
        config.tokens = verified_by(&auth, GRIDS_TOKEN);
        let grids = Running::serve(grids::build(config).await.unwrap(), Some(db));

        let db = TestDatabase::create("links", links::MIGRATIONS).await;
        let links = if options.links_in_child {
            links_child(db, &auth, &grids, &with_url(&events, &urls.links))
        } else {
            let mut config = links::Config::from_env().unwrap();
            config.kit = kit_config(Some(&db));
            config.kit.events = events_on.then(|| with_url(&events, &urls.links));
            config.tokens = verified_by(&auth, LINKS_TOKEN);
            config.grids.base_url = grids.url.clone();
            config.grids.service_token = Some(Secret::new(LINKS_TOKEN));
            if let Some(adjust) = options.links {
                adjust(&mut config);
            }
            Running::serve(links::build(config).await.unwrap(), Some(db))
        };

        let analytics = if options.analytics {
            let db = TestDatabase::create("analytics", analytics::MIGRATIONS).await;
            let mut config = analytics::Config::from_env().unwrap();
            config.kit = kit_config(Some(&db));
            config.kit.events = events_on.then(|| events.clone());
            config.tokens = verified_by(&auth, ANALYTICS_TOKEN);
            for (upstream, service) in [(&mut config.links, &links), (&mut config.grids, &grids)] {
                upstream.base_url = service.url.clone();
                upstream.service_token = Some(Secret::new(ANALYTICS_TOKEN));
            }
            Some(Running::serve(
                analytics::build(config).await.unwrap(),
                Some(db),
            ))
        } else {
            None
        };

        let mailer = match options.mailer {
            Some(smtp_url) => {
                let db = TestDatabase::create("mailer", mailer::MIGRATIONS).await;
                let mut config = mailer::Config::from_env().unwrap();
                config.kit = kit_config(Some(&db));
                config.kit.events = events_on.then(|| events.clone());
                config.smtp.url = Secret::new(smtp_url);
                config.smtp.retry_max = Duration::from_secs(1);
                Some(Running::serve(
                    mailer::build(config).await.unwrap(),
                    Some(db),
                ))
            }
            None => None,
        };

        let gateway = match (options.gateway_in_child, options.gateway) {
            (Some(extra), _) => Some(gateway_child(
                [&auth, &grids, &links],
                analytics.as_ref(),
                &events,
                extra,
            )),
            (None, None) => None,
            (None, Some(adjust)) => {
                let mut config = gateway_config(&auth, &grids, &links);
                if let Some(analytics) = &analytics {
                    config.analytics.base_url = analytics.url.clone();
                }
                config.kit.http.workers = 2;
                config.kit.events = events_on.then(|| events.clone());
                adjust(&mut config);
                Some(Running::serve(gateway::build(config).await.unwrap(), None))
            }
        };
        let stack = Self {
            auth,
            grids,
            links,
            analytics,
            mailer,
            gateway,
            events,
            // A links binary declares the test's topology whatever `events` says.
            with_events: events_on || options.links_in_child,
            client: reqwest::Client::new(),
            signing_pem,
        };
        stack.wait_ready(Duration::from_secs(20)).await;
        stack
    }

    /// Waits until every service reports ready (database and broker).
    pub async fn wait_ready(&self, within: Duration) {
        self.eventually(within, "every service reports ready", async || {
            self.all_ready().await
        })
        .await;
    }

    /// Whether auth, grids and links all answer `/readyz` with 200.
    pub async fn all_ready(&self) -> bool {
        for service in [&self.auth, &self.grids, &self.links]
            .into_iter()
            .chain(&self.analytics)
            .chain(&self.mailer)
        {
            let ready = self
                .client
                .get(format!("{}/readyz", service.url))
                .send()
                .await;
            if !ready.is_ok_and(|r| r.status() == 200) {
                return false;
            }
        }
        true
    }

    /// Sends a request to the service at `base`, with a bearer token and a JSON body if given.
    pub async fn request(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// The gateway's base URL.
    pub fn edge(&self) -> &str {
        &self.gateway.as_ref().expect("the stack runs a gateway").url
    }

    /// A count from one service's database.
    pub async fn count(&self, service: &Running, query: &str) -> i64 {
        let db = service.db.as_ref().expect("services run on test databases");
        gridlink_test_support::sql::count(&db.url, query).await
    }

    /// Polls `check` until it holds or `within` passes; returns the time it took.
    pub async fn eventually<F, Fut>(&self, within: Duration, what: &str, mut check: F) -> Duration
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let started = Instant::now();
        loop {
            if check().await {
                return started.elapsed();
            }
            assert!(started.elapsed() < within, "not within {within:?}: {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Publishes raw bytes to the test's exchange, as a misbehaving publisher might.
    pub async fn publish_raw(&self, routing_key: &str, event_type: &str, body: &[u8]) {
        use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
        let connection = lapin::Connection::connect(AMQP, lapin::ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        let properties = lapin::BasicProperties::default()
            .with_type(event_type.into())
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        channel
            .basic_publish(
                self.events.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
    }

    /// Messages waiting in one of the test's queues (e.g. a dead-letter queue).
    pub async fn queue_depth(&self, queue: &str) -> u32 {
        use lapin::options::QueueDeclareOptions;
        let connection = lapin::Connection::connect(AMQP, lapin::ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        let declared = channel
            .queue_declare(
                self.events.queue(queue).as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                Default::default(),
            )
            .await
            .unwrap();
        let _ = connection.close(200, "done".into()).await;
        declared.message_count()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for service in [&self.auth, &self.grids, &self.links] {
            service.stop();
        }
        if let Some(gateway) = &self.gateway {
            gateway.stop();
        }
        if !self.with_events {
            return;
        }
        let events = self.events.clone();
        // Remove the test's queues and exchanges (on a thread: Drop is sync).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let connection =
                    lapin::Connection::connect(AMQP, lapin::ConnectionProperties::default())
                        .await
                        .ok()?;
                let channel = connection.create_channel().await.ok()?;
                gridlink_events::topology::delete(&channel, &events)
                    .await
                    .ok()?;
                connection.close(200, "done".into()).await.ok()
            })
        })
        .join();
    }
}
