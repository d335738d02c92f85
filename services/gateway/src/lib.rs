//! The gateway: the only service clients reach. It routes the public API to
//! auth, grids and links by the route table of its public contract,
//! verifies access tokens at the edge where a route uses them, rate limits,
//! isolates failing upstreams with circuit breakers, never routes /internal,
//! and assembles the profile page from three backend calls.

mod assembly;
mod breaker;
pub mod config;
mod docs;
mod edge;
mod grid_page;
mod page_cache;
mod path;
mod profile;
mod proxy;
mod qr;
mod ratelimit;
mod redirect;
mod routes;
mod state;
mod visits;
mod worker_redis;

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::web;
use auth_client::{AuthClient, JwksVerifier};
use gridlink_rest_client::{ClientSettings, RestClient};
use gridlink_service::{Application, Kit, Spec};
use grids_client::GridsClient;
use links_client::LinksClient;

pub use config::Config;
pub use docs::{own_document, public_document};

pub const SPEC: Spec = Spec {
    name: "gateway",
    port: 8080,
    admin_port: 9080,
    migrations: None,
};

fn backend(
    name: &'static str,
    settings: &ClientSettings,
    config: &Config,
    circuits: &prometheus::IntGaugeVec,
) -> state::Backend {
    state::Backend {
        name,
        rest: RestClient::new(name, settings.clone()),
        breaker: breaker::Breaker::new(
            config.breaker_failures,
            config.breaker_open,
            circuits.with_label_values(&[name]),
        ),
    }
}

/// The gateway's routes live in one scope, so the path is normalised before
/// routing and every answer (a 404 included) gets the edge's headers.
fn no_annotated_routes(_: &mut utoipa_actix_web::service_config::ServiceConfig) {}

/// Builds the gateway: its upstream clients, limiter and listeners.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let redis = match &config.redis_url {
        Some(url) => Some(worker_redis::WorkerRedis::connect(url).await?),
        None => None,
    };
    let limiter = match &redis {
        Some(redis) => ratelimit::RateLimiter::with_redis(redis.clone(), &config.redis_prefix),
        None => ratelimit::RateLimiter::in_memory(),
    };
    let pages = Arc::new(page_cache::PageCache::new(redis.clone(), &config.pages));
    let mut kit = Kit::new(&SPEC, config.kit.clone())?;
    for (queue, owner_of) in page_cache::STALE_PAGES {
        kit = kit.consumer((
            queue,
            page_cache::invalidation(Arc::clone(&pages), owner_of),
        ));
    }
    let (rate_limited, circuits) = state::instruments(kit.registry());
    let routes = Arc::new(routes::EdgeRoutes::public());
    let profile = routes
        .find("/api/v1/profiles/{username}", &Method::GET)
        .cloned()
        .expect("the public contract has the profile page");
    let grid_page = routes
        .find("/api/v1/grids/{slug}/page", &Method::GET)
        .cloned()
        .expect("the public contract has the grid page");
    let redirect = routes
        .find("/r/{slug}", &Method::GET)
        .cloned()
        .expect("the public contract has /r/{slug}");
    let qr = routes
        .find("/api/v1/links/{slug}/qr.svg", &Method::GET)
        .cloned()
        .expect("the public contract has the QR codes");
    let (visits, publisher) = visits::Visits::start(
        kit.config().events.clone(),
        &config.spool,
        kit.registry(),
        pages.redis(),
        &config.pages.prefix,
    );
    let auth = backend("auth", &config.auth, &config, &circuits);
    let grids = backend("grids", &config.grids, &config, &circuits);
    let links = backend("links", &config.links, &config, &circuits);
    let analytics = backend("analytics", &config.analytics, &config, &circuits);
    let users = AuthClient::with_rest(auth.rest.clone());
    let jwks = Arc::new(JwksVerifier::new(
        users.clone(),
        &config.tokens.issuer,
        &config.tokens.audience,
    ));
    let verifier = kit.revocable(jwks, Some(users.revocation_source()));
    let gateway = web::Data::new(state::Gateway {
        verifier,
        users,
        grids_client: GridsClient::with_rest(grids.rest.clone()),
        links_client: LinksClient::with_rest(links.rest.clone()),
        auth,
        grids,
        links,
        analytics,
        limiter,
        anonymous: config.anonymous,
        signed_in: config.users,
        groups: config.groups,
        trusted_proxies: config.trusted_proxies.clone(),
        rate_limited,
        profile,
        grid_page,
        redirect,
        qr,
        pages,
        visits,
        public_base_url: config.public_base_url.trim_end_matches('/').to_owned(),
    });
    let cors = web::Data::new(edge::Cors(config.cors_origins.clone()));
    let table = routes.table();
    kit.shared(gateway)
        .shared(cors)
        .route_table(table)
        .services(move |cfg| {
            // Called on each HTTP worker as it starts.
            if let Some(redis) = &redis {
                redis.open_for_this_worker();
            }
            cfg.service(
                web::scope("")
                    .service(profile::profile)
                    .service(grid_page::grid_page)
                    .service(redirect::follow)
                    .service(qr::profile_svg)
                    .service(qr::profile_png)
                    .service(qr::link_svg)
                    .service(qr::link_png)
                    .service(docs::openapi_json)
                    .service(docs::docs_page)
                    .configure(|cfg| routes.register(cfg))
                    .default_service(web::to(gridlink_http::fallback))
                    .wrap(from_fn(edge::headers))
                    .wrap(from_fn(path::normalized)),
            );
        })
        .serve(no_annotated_routes)
        .map(|app| match publisher {
            // Visits spooled at the end are published before the exit.
            Some(publisher) => app.then(async move {
                if !publisher.flush(std::time::Duration::from_secs(5)).await {
                    tracing::warn!("visits left unpublished at shutdown");
                }
            }),
            None => app,
        })
}

gridlink_service::service! {
    /// The gateway, as its binary runs it.
    pub struct Gateway { spec: SPEC, config: Config, build: build }
}
