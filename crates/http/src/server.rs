//! One way to build a service's HTTP server, so every service gets the same
//! middleware, limits, fallbacks and operational routes.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as RouteConfig;

use crate::{extractor_config, fallback, observe, ops_routes};

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
) -> std::io::Result<Server>
where
    D: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    Ok(HttpServer::new(move || {
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
    .shutdown_timeout(30)
    .listen(listener)?
    .run())
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
