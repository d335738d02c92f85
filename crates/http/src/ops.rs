//! Operational routes: `/healthz` (the process is alive) and `/readyz` (its
//! dependencies answer) on the service's port for probes, and `/metrics`
//! (Prometheus text) only on the admin port; plus the problem+json fallback
//! for unknown routes and methods.

use std::sync::Arc;
use std::time::Duration;

use crate::routes::RouteTable;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::future::BoxFuture;
use gridlink_db::{Database, PgPool};
use gridlink_problem::ApiError;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

type Check = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// The named checks `/readyz` runs; each must answer within two seconds.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check<F>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static,
    {
        self.checks.push((name, Arc::new(check)));
        self
    }

    /// A check that the database answers `SELECT 1`.
    pub fn database(self, pool: PgPool) -> Self {
        self.check("database", move || {
            let pool = pool.clone();
            Box::pin(async move { gridlink_db::ping(&pool).await })
        })
    }

    async fn failures(&self) -> Vec<String> {
        let runs = self.checks.iter().map(|(name, check)| async move {
            match tokio::time::timeout(Duration::from_secs(2), check()).await {
                Ok(Ok(())) => None,
                Ok(Err(reason)) => Some(format!("{name}: {reason}")),
                Err(_) => Some(format!("{name}: no answer within 2s")),
            }
        });
        futures_util::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

/// The service's Prometheus registry and its standard instruments.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    statements: IntCounter,
    database: Option<Database>,
}

impl Metrics {
    pub fn new(service: &str, database: Option<Database>) -> Self {
        let registry = Registry::new_custom(
            None,
            Some([("service".to_owned(), service.to_owned())].into()),
        )
        .expect("static registry labels are valid");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )
        .expect("static metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route", "method", "status"],
        )
        .expect("static metric definition is valid");
        let pool_gauge = IntGaugeVec::new(
            Opts::new("db_pool_connections", "database pool connections by state"),
            &["state"],
        )
        .expect("static metric definition is valid");
        let statements =
            IntCounter::new("db_statements_total", "SQL statements run through the pool")
                .expect("static metric definition is valid");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_gauge.clone()),
            Box::new(statements.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            requests,
            latency,
            pool: pool_gauge,
            statements,
            database,
        }
    }

    /// For service-specific instruments (outbox backlog, consumer counters...).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn observe_request(
        &self,
        route: &str,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let status = status.to_string();
        let labels = [route, method, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    fn render(&self) -> String {
        if let Some(database) = &self.database {
            let counted = database.statements.get();
            self.statements
                .inc_by(counted.saturating_sub(self.statements.get()));
            let status = database.pool.status();
            for (state, value) in [
                ("max", status.max_size),
                ("open", status.size),
                ("idle", status.available),
                ("waiting", status.waiting),
            ] {
                self.pool
                    .with_label_values(&[state])
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        }
        let mut buffer = Vec::new();
        if let Err(e) = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut buffer)
        {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> Result<HttpResponse, ApiError> {
    let failures = readiness.failures().await;
    if failures.is_empty() {
        Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
    } else {
        Err(ApiError::unavailable(failures.join("; ")))
    }
}

async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

/// Registers `/healthz` and `/readyz`, the probes. Needs `web::Data<Readiness>`.
pub fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// The admin listener's routes: the probes and `/metrics`. Needs
/// `web::Data<Readiness>` and `web::Data<Metrics>`.
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    health_routes(cfg);
    cfg.route("/metrics", web::get().to(metrics));
}

/// `App::default_service`: 405 with `Allow` when the path is a route of the
/// service's [`RouteTable`] with other methods, else 404.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let allowed = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.methods(req.path()));
    let error = match allowed {
        Some(methods) if !methods.is_empty() => ApiError::MethodNotAllowed {
            method: crate::observe::method_label(req.method()).to_owned(),
            allow: methods.join(", "),
        },
        _ => ApiError::NotFound("no such route".into()),
    };
    actix_web::ResponseError::error_response(&error)
}
