//! Turning TOTP on (enrol, then confirm with a first code, which hands out
//! the recovery codes) and off.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, post, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Json};
use gridlink_problem::ApiError;

use crate::api::{CodeRequest, DisableTotpRequest, PasswordRequest, RecoveryCodes, TotpEnrolment};
use crate::credentials::{self, Attempt};
use crate::db::mfa;
use crate::passwords::Verified;
use crate::second_factor::{self, Factor};
use crate::state::AppState;
use crate::totp;

fn already_on() -> ApiError {
    ApiError::conflict("mfa", "two-factor sign-in is on already; turn it off first")
}

fn wrong_code() -> ApiError {
    ApiError::invalid_field("code", "the code is wrong or has expired")
}

/// `text` as an SVG QR code.
fn qr_svg(text: &str) -> String {
    qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .expect("an otpauth URI fits in a QR code")
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build()
}

/// Starts turning TOTP on: a new secret for the authenticator app. Logins
/// need codes only once it is confirmed; enrolling again before that
/// replaces the secret.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 201, description = "A new secret, not active until confirmed", body = TotpEnrolment),
        (status = 403, description = "Password is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "TOTP is on already", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/mfa/totp")]
pub async fn enrol(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<PasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = super::users::account(&state, &auth).await?;
    if user.mfa_enabled_at.is_some() {
        return Err(already_on());
    }
    super::users::confirm_password(&state, &user, body.into_inner().password).await?;
    let secret = totp::new_secret();
    let sealed = state.secrets.seal(&user.slug, &secret);
    let mut conn = state.db.conn().await?;
    if !mfa::enrol(&mut conn, user.id, &sealed).await? {
        return Err(already_on());
    }
    let otpauth_uri = totp::otpauth_uri(&state.mfa.issuer, &user.username, &secret);
    Ok(super::private(StatusCode::CREATED).json(TotpEnrolment {
        secret: totp::base32(&secret),
        qr_svg: qr_svg(&otpauth_uri),
        otpauth_uri,
    }))
}

/// Turns TOTP on with the authenticator's first code, and hands out ten
/// recovery codes, once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "TOTP is on; keep these codes", body = RecoveryCodes),
        (status = 400, description = "The code is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to confirm: enrol first, or TOTP is on already", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/mfa/totp/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = super::users::account(&state, &auth).await?;
    let secret = {
        let mut conn = state.db.conn().await?;
        mfa::find(&mut conn, user.id).await?
    };
    let secret = match secret {
        Some(secret) if !secret.confirmed => secret,
        Some(_) => return Err(already_on()),
        None => {
            return Err(ApiError::conflict(
                "mfa",
                "nothing to confirm: enrol first (POST /api/v1/auth/mfa/totp)",
            ));
        }
    };
    // Which step the code is for needs no I/O; the budget still judges it
    // (a spent one refuses even a right code).
    let step = second_factor::code_step(&state, &user.slug, &secret, &body.into_inner().code);
    let attempt = Attempt::second_factor(&user.slug);
    let verified = credentials::guarded(&state.db, &state.throttle, &attempt, async {
        Ok(match step {
            Some(_) => Verified::Yes { rehash: None },
            None => Verified::No,
        })
    })
    .await?;
    let (Verified::Yes { .. }, Some(step)) = (verified, step) else {
        return Err(wrong_code());
    };
    let (codes, hashes) = second_factor::new_recovery_codes();
    let mut conn = state.db.conn().await?;
    if !mfa::confirm(&mut conn, user.id, step, &hashes).await? {
        return Err(wrong_code());
    }
    tracing::info!(user.id = %user.slug, "TOTP turned on");
    Ok(super::private(StatusCode::OK).json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns TOTP off (the secret and the recovery codes go): the password and a
/// current code are both needed.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = DisableTotpRequest,
    responses(
        (status = 204, description = "TOTP is off"),
        (status = 403, description = "Password or code is wrong", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "TOTP is not on", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/auth/mfa/totp")]
pub async fn disable(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<DisableTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = super::users::account(&state, &auth).await?;
    if user.mfa_enabled_at.is_none() {
        return Err(ApiError::conflict("mfa", "two-factor sign-in is not on"));
    }
    super::users::confirm_password(&state, &user, body.password).await?;
    if !second_factor::check(&state, user.id, &user.slug, Factor::Code(&body.code)).await? {
        return Err(ApiError::Forbidden(
            "the code is wrong or has expired".into(),
        ));
    }
    let mut conn = state.db.conn().await?;
    mfa::disable(&mut conn, user.id).await?;
    tracing::info!(user.id = %user.slug, "TOTP turned off");
    Ok(HttpResponse::NoContent().finish())
}
