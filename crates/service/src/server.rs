//! Building and running a service: [`Kit`] collects what the service brings
//! (its state, its routes, its consumers, its token verifier) and binds two
//! HTTP servers with the same middleware, limits, fallbacks and probes for
//! every service: the API on the service's port, `/metrics` on the admin port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use gridlink_access_token::VerifyAccessToken;
use gridlink_db::Database;
use gridlink_events::BrokerState;
use gridlink_events::consumer::Handler;
use gridlink_events::topology::QueueSpec;
use gridlink_http::{AccessTokens, Metrics, Readiness, RouteTable};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as RouteConfig;

use crate::{KitConfig, Spec};

/// How long an idle client connection is kept open. It is longer than the
/// idle timeout of every client in front of a service (the service clients'
/// 30 s pool timeout, a load balancer's usual 60 s), so it is always the
/// client that closes an idle connection, never the server in the instant the
/// client sends a request on it. (actix-web's default is 5 s.)
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(75);

// Service clients give up an idle connection before a service would close it.
const _: () = assert!(gridlink_rest_client::POOL_IDLE_TIMEOUT.as_secs() < KEEP_ALIVE.as_secs());

/// In-flight requests get this long to finish after SIGTERM.
const SHUTDOWN_SECS: u64 = 30;

type Configure = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A service being put together. Create it with [`Kit::new`], add what the
/// service brings, then [`Kit::serve`].
pub struct Kit {
    spec: &'static Spec,
    config: KitConfig,
    database: Option<Database>,
    metrics: Metrics,
    readiness: Readiness,
    consumers: Vec<(QueueSpec, Handler)>,
    data: Vec<Configure>,
    services: Vec<Configure>,
    routes: Option<RouteTable>,
    followed: Vec<crate::revocations::Followed>,
    broker: BrokerState,
}

impl Kit {
    /// Builds the service's pool (no connection is opened yet, so a service
    /// starts, not ready, while its database is down) and its metrics.
    pub fn new(spec: &'static Spec, config: KitConfig) -> anyhow::Result<Self> {
        let database = match &config.database {
            Some(settings) => Some(gridlink_db::build_pool(&settings.url, &settings.pool)?),
            None => None,
        };
        let metrics = Metrics::new(spec.name, database.clone());
        let mut readiness = Readiness::new();
        if let Some(database) = &database {
            readiness = readiness.database(database.pool.clone());
        }
        if config.internal_tokens.is_empty() && spec.migrations.is_some() {
            tracing::warn!("INTERNAL_TOKENS is not set: every /internal route will answer 401");
        }
        Ok(Self {
            spec,
            config,
            database,
            metrics,
            readiness,
            consumers: Vec::new(),
            data: Vec::new(),
            services: Vec::new(),
            routes: None,
            followed: Vec::new(),
            broker: BrokerState::default(),
        })
    }

    pub fn config(&self) -> &KitConfig {
        &self.config
    }

    /// The service's database. Panics for a service without one: a
    /// programming error, found by the first test.
    pub fn database(&self) -> &Database {
        self.database
            .as_ref()
            .expect("this service was declared without migrations, so it has no database")
    }

    /// Whether this process's relay and consumers hold a broker connection
    /// (and since when): what a service that keeps a copy fed by events reads
    /// to know whether it is being fed.
    pub fn broker(&self) -> BrokerState {
        self.broker.clone()
    }

    /// The Prometheus registry, for the service's own instruments.
    pub fn registry(&self) -> &prometheus::Registry {
        self.metrics.registry()
    }

    /// Shares `value` with the handlers as `web::Data<T>`.
    pub fn data<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.shared(web::Data::new(value))
    }

    /// Shares an already wrapped value (several parts hold the same one).
    pub fn shared<T: Send + Sync + 'static>(mut self, value: web::Data<T>) -> Self {
        self.data.push(Arc::new(move |cfg| {
            cfg.app_data(value.clone());
        }));
        self
    }

    /// The verifier of users' access tokens, for `Authenticated` extractors,
    /// refusing the tokens of sessions that ended (see [`Kit::revocable`]).
    pub fn access_tokens(
        mut self,
        verifier: Arc<dyn VerifyAccessToken>,
        source: Option<crate::RevocationSource>,
    ) -> Self {
        let verifier = self.revocable(verifier, source);
        self.data(AccessTokens(verifier))
    }

    /// `verifier`, made to refuse the tokens of sessions that ended: the
    /// service follows `user.sessions_revoked.v1` and catches up from
    /// `source` (see [`crate::revocations`]). Without a source (tests that
    /// sign their own tokens) only the events are followed.
    pub fn revocable(
        &mut self,
        verifier: Arc<dyn VerifyAccessToken>,
        source: Option<crate::RevocationSource>,
    ) -> Arc<dyn VerifyAccessToken> {
        let (followed, verifier) = crate::revocations::Followed::new(verifier, source);
        self.followed.push(followed);
        verifier
    }

    /// A consumer for `queue` (see [`crate::consume_once`]).
    pub fn consumer(mut self, (queue, handler): (QueueSpec, Handler)) -> Self {
        self.consumers.push((queue, handler));
        self
    }

    /// Another check `/readyz` runs.
    pub fn ready_when<F>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> futures_util::future::BoxFuture<'static, Result<(), String>>
            + Send
            + Sync
            + 'static,
    {
        self.readiness = self.readiness.check(name, check);
        self
    }

    /// Routes that are not OpenAPI-annotated handlers (the gateway's proxy).
    pub fn services(
        mut self,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> Self {
        self.services.push(Arc::new(configure));
        self
    }

    /// The routes 405 answers know of, when they are not the annotated
    /// handlers' (the gateway's public contract).
    pub fn route_table(mut self, routes: RouteTable) -> Self {
        self.routes = Some(routes);
        self
    }

    /// Starts the outbox relay and the consumers, binds both listeners and
    /// returns the service, ready to run.
    pub fn serve(mut self, routes: fn(&mut RouteConfig)) -> anyhow::Result<Application> {
        let events = self.config.events.clone();
        let consumers = std::mem::take(&mut self.consumers);
        match (events, self.config.database_url().cloned()) {
            (Some(settings), Some(url)) => {
                gridlink_events::start(
                    url,
                    settings,
                    consumers,
                    gridlink_events::EventMetrics::register(self.metrics.registry()),
                    self.broker.clone(),
                );
                self.readiness = self
                    .readiness
                    .check("broker", gridlink_events::readiness(self.broker.clone()));
            }
            // No outbox to relay: the consumers alone. The broker is not a
            // readiness condition here, as nothing the service answers waits
            // for it.
            (Some(settings), None) if !consumers.is_empty() => {
                gridlink_events::consume(
                    settings,
                    consumers,
                    gridlink_events::EventMetrics::register(self.metrics.registry()),
                    self.broker.clone(),
                );
            }
            (None, _) if !consumers.is_empty() => {
                tracing::warn!("no broker configured: the service's consumers are not started");
            }
            _ => {}
        }
        for followed in std::mem::take(&mut self.followed) {
            followed.start(self.config.events.clone());
        }
        let table = self.routes.take().unwrap_or_else(|| {
            let (_, document) = App::new()
                .into_utoipa_app()
                .configure(routes)
                .split_for_parts();
            RouteTable::from_openapi(&document)
        });
        let metrics = web::Data::new(self.metrics);
        let readiness = web::Data::new(self.readiness);
        let tokens = web::Data::new(self.config.internal_tokens.clone());
        let table = web::Data::new(table);
        let (data, services) = (self.data, self.services);

        let listener = TcpListener::bind(self.config.http.addr)
            .with_context(|| format!("cannot listen on {}", self.config.http.addr))?;
        let port = listener.local_addr()?.port();
        let public = {
            let (metrics, readiness) = (metrics.clone(), readiness.clone());
            HttpServer::new(move || {
                let (app, _) = App::new()
                    .into_utoipa_app()
                    .configure(routes)
                    .split_for_parts();
                let app = data
                    .iter()
                    .fold(app, |app, add| app.configure(|cfg| add(cfg)))
                    .app_data(metrics.clone())
                    .app_data(readiness.clone())
                    .app_data(tokens.clone())
                    .app_data(table.clone())
                    .configure(gridlink_http::extractor_config)
                    .configure(gridlink_http::health_routes);
                services
                    .iter()
                    .fold(app, |app, add| app.configure(|cfg| add(cfg)))
                    .default_service(web::to(gridlink_http::fallback))
                    .wrap(from_fn(head_as_get))
                    .wrap(from_fn(gridlink_http::observe))
            })
            .workers(self.config.http.workers.max(1))
            .keep_alive(KEEP_ALIVE)
            .shutdown_timeout(SHUTDOWN_SECS)
            .listen(listener)?
            .run()
        };

        let admin_listener = TcpListener::bind(self.config.http.admin_addr)
            .with_context(|| format!("cannot listen on {} (admin)", self.config.http.admin_addr))?;
        let admin_port = admin_listener.local_addr()?.port();
        let admin = HttpServer::new(move || {
            App::new()
                .app_data(metrics.clone())
                .app_data(readiness.clone())
                .configure(gridlink_http::admin_routes)
                .default_service(web::to(gridlink_http::fallback))
        })
        .workers(1)
        .shutdown_timeout(5)
        .listen(admin_listener)?
        .run();

        tracing::info!(port, admin_port, service = self.spec.name, "listening");
        Ok(Application {
            port,
            admin_port,
            public,
            admin,
            finally: None,
        })
    }
}

/// `HEAD` is answered wherever `GET` is: routed as a `GET`, and the server
/// sends the head of the answer without its body.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// A bound service, ready to run.
pub struct Application {
    port: u16,
    admin_port: u16,
    public: Server,
    admin: Server,
    /// Run once both listeners stopped (the last step of a graceful exit).
    finally: Option<futures_util::future::BoxFuture<'static, ()>>,
}

/// Stops both listeners of a running [`Application`].
#[derive(Clone)]
pub struct AppHandle {
    public: ServerHandle,
    admin: ServerHandle,
}

impl AppHandle {
    /// Stops accepting at once; `graceful` lets in-flight requests finish
    /// first. The future resolves when both listeners have stopped.
    pub fn stop(&self, graceful: bool) -> impl Future<Output = ()> + use<> {
        let public = self.public.stop(graceful);
        let admin = self.admin.stop(graceful);
        async move {
            tokio::join!(public, admin);
        }
    }
}

impl Application {
    /// The API's port (useful when bound to port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port (`/metrics`).
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    pub fn handle(&self) -> AppHandle {
        AppHandle {
            public: self.public.handle(),
            admin: self.admin.handle(),
        }
    }

    /// Runs `last` once the listeners stopped, before the process exits.
    pub fn then(mut self, last: impl Future<Output = ()> + Send + 'static) -> Self {
        self.finally = Some(Box::pin(last));
        self
    }

    /// Serves until SIGTERM/SIGINT, then finishes in-flight requests (up to
    /// 30 s), runs what was given to [`Application::then`], and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (public, admin) = tokio::join!(self.public, self.admin);
        if let Some(last) = self.finally {
            last.await;
        }
        public.and(admin)
    }
}
