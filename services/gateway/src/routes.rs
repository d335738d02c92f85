use utoipa_actix_web::service_config::ServiceConfig;

/// The routes the gateway answers itself; everything else is forwarded.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(crate::profile::profile);
}
