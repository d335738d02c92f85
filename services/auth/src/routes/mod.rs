//! HTTP handlers. Each is a thin adapter: parse, call the queries or the
//! credential check, shape the answer.

mod internal;
mod sessions;
mod users;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sessions::signup)
        .service(sessions::login)
        .service(sessions::refresh)
        .service(sessions::logout)
        .service(sessions::jwks)
        .service(users::get_me)
        .service(users::patch_me)
        .service(users::change_password)
        .service(users::delete_me)
        .service(users::public_user)
        .service(internal::user_by_username)
        .service(internal::users_by_ids)
        .service(internal::erasure_status);
}
