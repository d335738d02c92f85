//! One way to build a service's HTTP server, so every service gets the same
//! middleware, limits, fallbacks and operational routes.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as RouteConfig;

use crate::{extractor_config, fallback, observe, ops_routes};

/// A bound server, ready to run.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn new(port: u16, server: Server) -> Self {
        Self { port, server }
    }

    /// The port it listens on (useful when bound to port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server gracefully when asked through the handle.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// How long an idle client connection is kept open. It is longer than the
/// idle timeout of every client in front of a service (the service clients'
/// 30 s pool timeout, a load balancer's usual 60 s), so it is always the
/// client that closes an idle connection, never the server in the instant the
/// client sends a request on it. (actix-web's default is 5 s.)
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(75);

/// Builds the server on `listener`. `routes` registers the service's
/// (OpenAPI-annotated) handlers; `data` registers its shared state, which must
/// include `web::Data<Metrics>` and `web::Data<Readiness>`.
///
/// On SIGTERM or SIGINT the server stops accepting, lets in-flight requests
/// finish (up to 30 s) and resolves.
pub fn server<D>(
    listener: TcpListener,
    workers: usize,
    routes: fn(&mut RouteConfig),
    data: D,
) -> std::io::Result<Application>
where
    D: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(routes)
            .split_for_parts();
        app.configure(data.clone())
            .configure(extractor_config)
            .configure(ops_routes)
            .default_service(web::to(fallback))
            .wrap(from_fn(observe))
    })
    .workers(workers.max(1))
    .keep_alive(KEEP_ALIVE)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(Application::new(port, server))
}

/// Where a service listens and with how many workers.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// `HTTP_WORKERS`: request worker threads (default: one per core).
    pub workers: usize,
}

impl HttpSettings {
    /// Reads `addr_var` (e.g. `GRIDS_ADDR`, default `127.0.0.1:<default_port>`)
    /// and `HTTP_WORKERS`.
    pub fn from_env(
        addr_var: &str,
        default_port: u16,
    ) -> Result<Self, gridlink_config::ConfigError> {
        Ok(Self {
            addr: gridlink_config::parse(
                addr_var,
                SocketAddr::from(([127, 0, 0, 1], default_port)),
            )?,
            workers: gridlink_config::parse(
                "HTTP_WORKERS",
                std::thread::available_parallelism().map_or(2, usize::from),
            )?,
        })
    }
}
