//! Proving an address, recovering a forgotten password, and moving to a new
//! address: each by a single-use token mailed to the address in question.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, put, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Json, client_ip};
use gridlink_ids::At;
use gridlink_problem::ApiError;

use crate::api::{ChangeEmailRequest, ForgotPasswordRequest, ResetPasswordRequest, TokenRequest};
use crate::credentials::CheckError;
use crate::db::email_tokens::{self, Purpose, Verification};
use crate::db::throttle::{self, Limit};
use crate::db::{identities, users};
use crate::domain::{self, Email};
use crate::mail::{Recipient, notice};
use crate::state::AppState;
use crate::tokens::hash_token;
use gridlink_events::Template;

fn invalid_token() -> ApiError {
    ApiError::invalid_field(
        "token",
        "this link is invalid, has expired or was used already",
    )
}

/// The hash of a presented token; anything that cannot be one of ours is
/// invalid without a query.
fn presented(token: &str) -> Result<Vec<u8>, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_token());
    }
    Ok(hash_token(token))
}

fn window(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.mail.window).unwrap_or(chrono::Duration::hours(1))
}

/// Spends one mail of each budget, or answers 429 when one is spent.
async fn spend(state: &AppState, keys: &[(&str, i32)]) -> Result<(), ApiError> {
    let limits: Vec<Limit> = keys
        .iter()
        .map(|&(key, max_failures)| Limit {
            key,
            max_failures,
            window: window(state),
        })
        .collect();
    let mut conn = state.db.conn().await?;
    match throttle::reserve(&mut conn, &limits).await? {
        None => Ok(()),
        Some(spent) => Err(ApiError::TooManyRequests {
            detail: "too many mails asked for; try again later".into(),
            retry_after_secs: CheckError::retry_after_secs(spent.reopens),
        }),
    }
}

fn address_budget(email: &str) -> String {
    format!("mail:address:{}", email.to_lowercase())
}

/// Sends the signed-in user a new verification mail (the older link stops
/// working). Nothing is sent when the address is verified already.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A verification mail is on its way (unless the address is verified already)"),
        (status = 429, description = "Too many mails to this address; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/email/verify/resend")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user = super::users::account(&state, &auth).await?;
    if user.email_verified_at.is_none() {
        spend(
            &state,
            &[(&address_budget(&user.email), state.mail.max_per_address)],
        )
        .await?;
        let to = Recipient {
            id: user.id,
            user: &user.slug,
            username: &user.username,
        };
        let issued = state.mail.issue(&to, Purpose::Verify, &user.email);
        let mut conn = state.db.conn().await?;
        email_tokens::issue(&mut conn, issued.token, &issued.mail).await?;
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Confirms an address with the token mailed to it: the account's own
/// (after signup), or a new one it asked to move to (the old address is
/// told). Tokens work once, for 24 hours.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 204, description = "The address is verified (and, for a change, the account's address now)"),
        (status = 400, description = "The token is invalid, expired or used", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "The new address was registered by another account since", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/email/verify")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let hash = presented(&body.token)?;
    let mut conn = state.db.conn().await?;
    let taken = || ApiError::conflict("email", "this email is already registered");
    if let Some(change) = email_tokens::find(&mut conn, &hash, Purpose::Change).await? {
        let held = state.identities.digests("", &change.email).email;
        if !identities::held(&mut conn, &[held]).await?.is_empty() {
            return Err(taken());
        }
    }
    let outcome = email_tokens::verify(&mut conn, &hash, |user, username, old| {
        notice(user, username, old, Template::EmailChanged)
    })
    .await?;
    match outcome {
        Verification::Invalid => Err(invalid_token()),
        Verification::Taken => Err(taken()),
        Verification::Verified | Verification::Changed => Ok(HttpResponse::NoContent().finish()),
    }
}

/// Asks for a password reset mail. The answer is the same, and as quick,
/// whether or not an account has this address; the mail goes only to a
/// verified address. Throttled per address and per client.
#[utoipa::path(
    tag = "auth",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "If a verified account has this address, a reset mail is on its way"),
        (status = 429, description = "Too many reset mails asked for; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/password/forgot")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email).at("email")?;
    let client = client_ip(&req, &state.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    spend(
        &state,
        &[
            (&address_budget(email.as_str()), state.mail.max_per_address),
            (&format!("mail:client:{client}"), state.mail.max_per_client),
        ],
    )
    .await?;
    // The lookup and the mail happen after the answer, so its timing says
    // nothing about whether the address is known.
    let state = state.into_inner();
    tokio::spawn(async move {
        if let Err(error) = send_reset(&state, email.as_str()).await {
            tracing::error!(error = %error, "a password reset mail could not be queued");
        }
    });
    Ok(HttpResponse::Accepted().finish())
}

async fn send_reset(state: &AppState, email: &str) -> Result<(), gridlink_db::DbError> {
    let mut conn = state.db.conn().await?;
    let Some(user) = users::find_by_email(&mut conn, email).await? else {
        return Ok(());
    };
    if user.email_verified_at.is_none() {
        return Ok(());
    }
    let to = Recipient {
        id: user.id,
        user: &user.slug,
        username: &user.username,
    };
    let issued = state.mail.issue(&to, Purpose::Reset, &user.email);
    email_tokens::issue(&mut conn, issued.token, &issued.mail).await?;
    tracing::info!(user.id = %user.slug, "password reset mail queued");
    Ok(())
}

/// Sets a new password with the token of a reset mail (single-use, 30
/// minutes; a newer one or a password change ends it). Every session of
/// the account ends, and the account's address is told.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password set; every session ended"),
        (status = 400, description = "The token is invalid, expired or used, or the password is not allowed", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let hash = presented(&body.token)?;
    let user = {
        let mut conn = state.db.conn().await?;
        match email_tokens::find(&mut conn, &hash, Purpose::Reset).await? {
            Some(token) => users::find_by_id(&mut conn, token.user_id).await?,
            None => None,
        }
    }
    .ok_or_else(invalid_token)?;
    domain::new_password(&body.new_password, &[&user.username, &user.email]).at("new_password")?;
    let password_hash = state.passwords.hash(body.new_password).await?;
    let mut conn = state.db.conn().await?;
    let reset =
        email_tokens::reset_password(&mut conn, &hash, &password_hash, |user, username, to| {
            notice(user, username, to, Template::PasswordChanged)
        })
        .await?;
    let user = reset.ok_or_else(invalid_token)?;
    tracing::info!(user.id = %user, "password reset; every session ended");
    Ok(HttpResponse::NoContent().finish())
}

/// Moves the account to a new address, once it is confirmed from there
/// (`POST /api/v1/auth/email/verify` with the mailed token); the old
/// address is told then. The answer is the same whether or not another
/// account has the new address: that shows at confirmation.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, description = "A confirmation mail is on its way to the new address"),
        (status = 400, description = "Not an address, or the account's own", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 403, description = "Password is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[put("/api/v1/users/me/email")]
pub async fn change_email(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new_email = Email::parse(&body.new_email).at("new_email")?;
    let user = super::users::account(&state, &auth).await?;
    if new_email.as_str().eq_ignore_ascii_case(&user.email) {
        return Err(ApiError::invalid_field(
            "new_email",
            "this is the account's address already",
        ));
    }
    super::users::confirm_password(&state, &user, body.password).await?;
    spend(
        &state,
        &[(
            &address_budget(new_email.as_str()),
            state.mail.max_per_address,
        )],
    )
    .await?;
    let to = Recipient {
        id: user.id,
        user: &user.slug,
        username: &user.username,
    };
    let issued = state.mail.issue(&to, Purpose::Change, new_email.as_str());
    let mut conn = state.db.conn().await?;
    email_tokens::issue(&mut conn, issued.token, &issued.mail).await?;
    Ok(super::private(StatusCode::ACCEPTED).finish())
}
