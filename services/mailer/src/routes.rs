//! HTTP handlers: thin adapters between the API and the queries.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use gridlink_http::openapi::ProblemSchema;
use gridlink_problem::ApiError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(status);
}

/// The service and its database's clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub service: &'static str,
    pub database_time: DateTime<Utc>,
}

/// The example route: what the service is, and that it reaches its database.
#[utoipa::path(
    tag = "mailer",
    responses(
        (status = 200, body = Status),
        (status = 503, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/mailer/status")]
pub async fn status(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.conn().await?;
    let database_time = crate::db::now(&mut conn).await?;
    Ok(HttpResponse::Ok().json(Status {
        service: crate::SPEC.name,
        database_time,
    }))
}
