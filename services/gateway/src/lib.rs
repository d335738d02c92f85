//! The gateway: the only service clients reach. It routes the public API to
//! auth, grids and links, verifies access tokens at the edge, rate limits,
//! isolates failing upstreams with circuit breakers, never routes /internal,
//! and assembles the profile page from three backend calls.

mod breaker;
pub mod config;
mod docs;
mod edge;
mod path;
mod profile;
mod proxy;
mod ratelimit;
mod routes;
mod state;

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use auth_client::{AuthClient, JwksVerifier};
use gridlink_http::{Application, Metrics, Readiness, extractor_config, observe, ops_routes};
use gridlink_rest_client::ClientSettings;
use grids_client::GridsClient;
use links_client::LinksClient;
use utoipa_actix_web::AppExt;

pub use config::Config;
pub use docs::{add_edge_responses, own_document};

// The gateway's upstream clients give up an idle connection before the
// service would close it (see `gridlink_http::KEEP_ALIVE`).
const _: () = assert!(
    gridlink_rest_client::POOL_IDLE_TIMEOUT.as_secs() < gridlink_http::KEEP_ALIVE.as_secs()
);

fn backend(
    name: &'static str,
    settings: &ClientSettings,
    config: &Config,
    circuits: &prometheus::IntGaugeVec,
) -> state::Backend {
    state::Backend {
        name,
        base_url: settings.base_url.clone(),
        http: gridlink_rest_client::http_client(settings)
            .pool_max_idle_per_host(128)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client without TLS always builds"),
        timeout: settings.timeout,
        breaker: breaker::Breaker::new(
            config.breaker_failures,
            config.breaker_open,
            circuits.with_label_values(&[name]),
        ),
    }
}

/// Builds the gateway: its upstream clients, limiter and HTTP server.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let limiter = match &config.redis_url {
        Some(url) => ratelimit::RateLimiter::with_redis(url, &config.redis_prefix).await?,
        None => ratelimit::RateLimiter::in_memory(),
    };
    let metrics = Metrics::new("gateway", None);
    let (rate_limited, circuits) = state::instruments(metrics.registry());
    let gateway = web::Data::new(state::Gateway {
        auth: backend("auth", &config.auth, &config, &circuits),
        grids: backend("grids", &config.grids, &config, &circuits),
        links: backend("links", &config.links, &config, &circuits),
        verifier: JwksVerifier::new(
            AuthClient::new(config.auth.clone()),
            &config.tokens.issuer,
            &config.tokens.audience,
        ),
        users: AuthClient::new(config.auth.clone()),
        grids_client: GridsClient::new(config.grids.clone()),
        links_client: LinksClient::new(config.links.clone()),
        limiter,
        anonymous: config.anonymous,
        signed_in: config.users,
        trusted_proxies: config.trusted_proxies.clone(),
        rate_limited,
    });
    // The gateway has no database; it is ready when it runs. Upstream
    // trouble shows per route (circuit breakers), not as the gateway's.
    let readiness = web::Data::new(Readiness::new());
    let metrics = web::Data::new(metrics);
    let cors = web::Data::new(edge::Cors(config.cors_origins.clone()));

    let listener = TcpListener::bind(config.http.addr)?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        app.app_data(gateway.clone())
            .app_data(metrics.clone())
            .app_data(readiness.clone())
            .app_data(cors.clone())
            .app_data(web::PayloadConfig::new(gridlink_http::BODY_LIMIT))
            .configure(extractor_config)
            .configure(ops_routes)
            .service(docs::openapi_json)
            .service(docs::docs_page)
            .default_service(web::to(proxy::forward))
            .wrap(from_fn(edge::headers))
            .wrap(from_fn(observe))
    })
    .workers(config.http.workers.max(1))
    .keep_alive(gridlink_http::KEEP_ALIVE)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    tracing::info!(port, "gateway listening");
    Ok(Application::new(port, server))
}
