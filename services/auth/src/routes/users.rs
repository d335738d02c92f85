//! The signed-in user's own account, and public profiles.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, put, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Json};
use gridlink_ids::{At, Username};
use gridlink_problem::{ApiError, TokenProblem};

use crate::api::{
    ChangePasswordRequest, DeleteAccountRequest, PrivateUser, PublicUser, TokenPair,
    UpdateMeRequest,
};
use crate::credentials::{self, Attempt};
use crate::db::email_tokens;
use crate::db::users::{self, NotSignedIn, ProfileChanges, User};
use crate::domain::{self, ProfileUpdate};
use crate::mail;
use crate::passwords::Verified;
use crate::state::AppState;
use gridlink_events::Template;

/// The account behind a valid access token, in a live session: a deleted
/// account or an ended session is a 401 here at once.
pub(super) async fn account(state: &AppState, auth: &Authenticated) -> Result<User, ApiError> {
    let mut conn = state.db.conn().await?;
    users::find_in_session(&mut conn, &auth.user_id, &auth.claims.sid)
        .await?
        .map_err(|why| match why {
            NotSignedIn::AccountGone => ApiError::AccountGone,
            NotSignedIn::SessionEnded => ApiError::token(TokenProblem::Revoked),
        })
}

/// Re-checks the password of a signed-in user before a sensitive change,
/// against the user's own budget of wrong passwords: strangers failing to
/// log in as them never block it.
pub(super) async fn confirm_password(
    state: &AppState,
    user: &User,
    password: String,
) -> Result<(), ApiError> {
    let attempt = Attempt::reauthentication(&user.slug);
    let verified = credentials::check(
        &state.db,
        &state.passwords,
        &state.throttle,
        &attempt,
        Some(user.password_hash.clone()),
        password,
    )
    .await?;
    match verified {
        Verified::Yes { .. } => Ok(()),
        Verified::No => Err(ApiError::Forbidden("the password is incorrect".into())),
    }
}

/// The signed-in user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, body = PrivateUser),
    )
)]
#[get("/api/v1/users/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user = account(&state, &auth).await?;
    Ok(super::private(StatusCode::OK).json(PrivateUser::from(user)))
}

/// Change the display name or bio.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = PrivateUser),
    )
)]
#[patch("/api/v1/users/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let update = ProfileUpdate::try_from(body.into_inner())?;
    let user = account(&state, &auth).await?;
    let mut conn = state.db.conn().await?;
    let changes = ProfileChanges {
        display_name: update.display_name.as_deref(),
        bio: update.bio.as_deref(),
    };
    let user = users::update_profile(&mut conn, user.id, changes).await?;
    Ok(super::private(StatusCode::OK).json(PrivateUser::from(user)))
}

/// Change the password. You stay signed in with the new token pair; every
/// other session ends (its access tokens at every service within a second).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Password changed; a new token pair for this session, every other session ended", body = TokenPair),
        (status = 403, description = "Current password is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = account(&state, &auth).await?;
    domain::new_password(&body.new_password, &[&user.username, &user.email]).at("new_password")?;
    confirm_password(&state, &user, body.current_password).await?;
    let hash = state.passwords.hash(body.new_password).await?;
    let mut conn = state.db.conn().await?;
    users::set_password_hash(&mut conn, user.id, &hash).await?;
    let changed = mail::notice(
        &user.slug,
        &user.username,
        &user.email,
        Template::PasswordChanged,
    );
    email_tokens::password_changed(&mut conn, user.id, &changed).await?;
    let tokens = state
        .issuer
        .renew_ending_others(&mut conn, user.id, &user.slug, &auth.claims.sid)
        .await?;
    Ok(super::private(StatusCode::OK).json(tokens))
}

/// Delete the account. It is gone at once (its tokens fail at every service
/// within a second); every service then erases the user's data through the
/// `user.deleted` event. Its username and email cannot be registered again
/// for 30 days.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 202, description = "Account deleted; data erasure under way"),
        (status = 403, description = "Password is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/users/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = account(&state, &auth).await?;
    confirm_password(&state, &user, body.into_inner().password).await?;
    let retired = state.identities.digests(&user.username, &user.email).both();
    let mut conn = state.db.conn().await?;
    let event = users::delete(&mut conn, &user, &retired, state.identities.until()).await?;
    tracing::info!(user.id = %user.slug, event.id = %event.event_id, "account deleted");
    Ok(HttpResponse::Accepted().finish())
}

/// A user's public profile.
#[utoipa::path(
    tag = "users",
    params(("username" = String, Path, description = "Case-insensitive", pattern = "^[A-Za-z0-9_]{3,30}$")),
    responses(
        (status = 200, body = PublicUser),
        (status = 404, description = "Unknown or deleted user", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/users/{username}")]
pub async fn public_user(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = super::internal::by_username(&state, &username).await?;
    Ok(HttpResponse::Ok().json(PublicUser::from(user)))
}

/// A username from a path; anything that cannot be one names nobody.
pub(super) fn username(raw: &str) -> Result<Username, ApiError> {
    Username::parse(raw).map_err(|_| no_such_user())
}

pub(super) fn no_such_user() -> ApiError {
    ApiError::NotFound("no such user".into())
}
