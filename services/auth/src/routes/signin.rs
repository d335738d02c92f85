//! Signing up, logging in and out, refreshing, and the public keys.

use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Json, client_ip};
use gridlink_ids::UserId;
use gridlink_problem::ApiError;

use crate::api::{
    LoginOutcome, LoginRequest, LoginResponse, MfaLoginRequest, MfaRequired, PrivateUser,
    RefreshRequest, SignupRequest, SignupResponse, TokenPair,
};
use crate::credentials::{self, Attempt, CheckError};
use crate::db::email_tokens::{self, Purpose};
use crate::db::throttle::{self, Limit};
use crate::db::users::{self, NewUser, Taken};
use crate::db::{devices, identities, mfa, sessions};
use crate::domain::Signup;
use crate::mail::Recipient;
use crate::passwords::Verified;
use crate::second_factor::{self, Factor};
use crate::state::AppState;
use crate::tokens::{Holder, hash_token, new_opaque_token};
use crate::user_agent;

/// The client summary a new session records.
fn client_of(req: &HttpRequest) -> String {
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    user_agent::summary(agent)
}

fn invalid_login() -> ApiError {
    ApiError::InvalidCredentials("invalid login or password".into())
}

/// Create an account and start a session.
#[utoipa::path(
    tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Account created", body = SignupResponse),
        (status = 409, description = "Username or email taken (or held back for 30 days after its account was deleted)", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/signup")]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let signup = Signup::try_from(body.into_inner())?;
    // A 409 says an address is registered: each client gets a bounded
    // number of them.
    let client = client_ip(&req, &state.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let conflicts_key = format!("signup-conflict:{client}");
    let conflicts = Limit {
        key: &conflicts_key,
        max_failures: state.throttle.max_signup_conflicts_per_client,
        window: chrono::Duration::from_std(state.throttle.window)
            .unwrap_or(chrono::Duration::minutes(15)),
    };
    {
        let mut conn = state.db.conn().await?;
        if let Some(spent) = throttle::spent(&mut conn, &conflicts).await? {
            return Err(ApiError::TooManyRequests {
                detail: "too many signups refused for a taken username or email; try again later"
                    .into(),
                retry_after_secs: CheckError::retry_after_secs(spent.reopens),
            });
        }
    }
    match create_account(&state, signup).await {
        Err(error @ ApiError::Conflict { .. }) => {
            let mut conn = state.db.conn().await?;
            throttle::count(&mut conn, &conflicts).await?;
            Err(error)
        }
        Err(error) => Err(error),
        Ok(user) => {
            let mut conn = state.db.conn().await?;
            let to = Recipient {
                id: user.id,
                user: &user.slug,
                username: &user.username,
            };
            let verification = state.mail.issue(&to, Purpose::Verify, &user.email);
            email_tokens::issue(&mut conn, verification.token, &verification.mail).await?;
            let client = client_of(&req);
            let holder = Holder {
                user_id: user.id,
                user: &user.slug,
                client: &client,
            };
            let tokens = state.issuer.start_session(&mut conn, holder).await?;
            tracing::info!(user.id = %user.slug, "account created");
            Ok(super::private(StatusCode::CREATED).json(SignupResponse {
                user: PrivateUser::from(user),
                tokens,
            }))
        }
    }
}

/// The new account's row, or a 409 naming the taken field.
async fn create_account(state: &AppState, new: Signup) -> Result<users::User, ApiError> {
    let digests = state.identities.digests(&new.username, new.email.as_str());
    {
        let mut conn = state.db.conn().await?;
        let held = identities::held(&mut conn, &digests.both()).await?;
        if held.contains(&digests.username) {
            return Err(ApiError::conflict("username", "this username is taken"));
        }
        if held.contains(&digests.email) {
            return Err(ApiError::conflict(
                "email",
                "this email is already registered",
            ));
        }
    }
    let password_hash = state.passwords.hash(new.password).await?;
    let id = UserId::generate();
    let mut conn = state.db.conn().await?;
    users::insert(
        &mut conn,
        NewUser {
            slug: &id,
            username: &new.username,
            email: new.email.as_str(),
            display_name: &new.display_name,
            password_hash: &password_hash,
        },
    )
    .await
    .map_err(|e| match Taken::of(&e) {
        Some(Taken::Email) => ApiError::conflict("email", "this email is already registered"),
        Some(Taken::Username) => ApiError::conflict("username", "this username is taken"),
        None => e.into(),
    })
}

/// Log in with username or email. Any bad credential gets the same 401.
/// Failures are throttled per account and address, per account overall and
/// per address; a login presenting a device token of the account is
/// throttled by that device's own budget instead. A refused attempt counts
/// nothing.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in, or (TOTP on) the second step to take", body = LoginOutcome),
        (status = 401, description = "Invalid credentials", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts (problem type `login-throttled`; `detail` says which limit); see Retry-After", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the limit opens again"))),
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    // No account has such a login; PostgreSQL text cannot even hold a NUL.
    if body.login.len() > 254 || body.login.chars().any(char::is_control) {
        return Err(invalid_login());
    }
    let user = {
        let mut conn = state.db.conn().await?;
        users::find_by_login(&mut conn, &body.login).await?
    };
    let device = match (&user, body.device_token.as_deref()) {
        (Some(user), Some(token)) if !token.is_empty() && token.len() <= 256 => {
            let mut conn = state.db.conn().await?;
            devices::find(&mut conn, user.id, &hash_token(token)).await?
        }
        _ => None,
    };
    let attempt = match (&user, device) {
        (_, Some(device)) => Attempt::device_login(device),
        (Some(user), None) => Attempt::login(
            &format!("user:{}", user.slug),
            client_ip(&req, &state.trusted_proxies),
        ),
        (None, None) => Attempt::login(
            &format!("login:{}", body.login.to_lowercase()),
            client_ip(&req, &state.trusted_proxies),
        ),
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = credentials::check(
        &state.db,
        &state.passwords,
        &state.throttle,
        &attempt,
        stored,
        body.password,
    )
    .await?;

    let (Verified::Yes { rehash }, Some(user)) = (verified, user) else {
        return Err(invalid_login());
    };
    let mut conn = state.db.conn().await?;
    if let Some(hash) = rehash {
        users::set_password_hash(&mut conn, user.id, &hash).await?;
    }
    if user.mfa_enabled_at.is_some() {
        let token = new_opaque_token();
        let ttl = state.mfa.challenge_ttl;
        let expires_at = chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
        mfa::start_challenge(&mut conn, &hash_token(&token), user.id, device, expires_at).await?;
        return Ok(
            super::private(StatusCode::OK).json(LoginOutcome::MfaRequired(MfaRequired {
                mfa_required: true,
                mfa_token: token,
                expires_in: ttl.as_secs(),
            })),
        );
    }
    let tokens = signed_in(&state, &req, &mut conn, user, device).await?;
    Ok(super::private(StatusCode::OK).json(LoginOutcome::Tokens(tokens)))
}

/// A session, a device token and the answer of a login that passed every
/// factor.
async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    conn: &mut crate::db::Conn,
    user: users::User,
    device: Option<i64>,
) -> Result<LoginResponse, ApiError> {
    let client = client_of(req);
    let holder = Holder {
        user_id: user.id,
        user: &user.slug,
        client: &client,
    };
    let tokens = state.issuer.start_session(conn, holder).await?;
    let device_token = state.issuer.device_token(conn, user.id, device).await?;
    Ok(LoginResponse {
        user: PrivateUser::from(user),
        tokens,
        device_token,
    })
}

fn invalid_code() -> ApiError {
    ApiError::InvalidCredentials("invalid or expired code".into())
}

/// The second step of a login with TOTP on: the `mfa_token` of the first
/// step and the authenticator's current code (one step of clock drift
/// either way; a code once used is refused) or an unused recovery code.
/// Wrong codes are throttled per account, as passwords are.
#[utoipa::path(
    tag = "auth",
    request_body = MfaLoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 400, description = "Neither or both of `code` and `recovery_code`", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, description = "Wrong, replayed or used code, or an invalid or expired `mfa_token`", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes (problem type `login-throttled`); see Retry-After", body = ProblemSchema, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the limit opens again"))),
    )
)]
#[post("/api/v1/auth/login/mfa")]
pub async fn login_mfa(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<MfaLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let factor = match (body.code.as_deref(), body.recovery_code.as_deref()) {
        (Some(code), None) => Factor::Code(code),
        (None, Some(code)) => Factor::RecoveryCode(code),
        _ => {
            return Err(ApiError::invalid_field(
                "code",
                "send either `code` or `recovery_code`",
            ));
        }
    };
    if body.mfa_token.is_empty() || body.mfa_token.len() > 128 {
        return Err(invalid_code());
    }
    let challenge = hash_token(&body.mfa_token);
    let (user_id, device) = {
        let mut conn = state.db.conn().await?;
        mfa::challenge(&mut conn, &challenge).await?
    }
    .ok_or_else(invalid_code)?;
    let user = {
        let mut conn = state.db.conn().await?;
        users::find_by_id(&mut conn, user_id).await?
    }
    .ok_or_else(invalid_code)?;
    if !second_factor::check(&state, user.id, &user.slug, factor).await? {
        return Err(invalid_code());
    }
    let mut conn = state.db.conn().await?;
    if !mfa::end_challenge(&mut conn, &challenge).await? {
        return Err(invalid_code());
    }
    let tokens = signed_in(&state, &req, &mut conn, user, device).await?;
    Ok(super::private(StatusCode::OK).json(tokens))
}

/// Exchange a refresh token for a new pair. Refresh tokens rotate: a used one
/// presented again revokes its whole family.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    if body.refresh_token.is_empty() || body.refresh_token.len() > 256 {
        return Err(crate::tokens::SessionError::InvalidRefresh.into());
    }
    let mut conn = state.db.conn().await?;
    let tokens = state.issuer.rotate(&mut conn, &body.refresh_token).await?;
    Ok(super::private(StatusCode::OK).json(tokens))
}

/// End the session the refresh token belongs to: its refresh token at once,
/// its access tokens at every service within a second.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Session ended (also for unknown tokens)"))
)]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.conn().await?;
    sessions::end_by_refresh(&mut conn, &hash_token(&body.refresh_token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The public keys that verify access tokens.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", body = crate::api::Jwks))
)]
#[get("/api/v1/auth/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(300),
        ]))
        .json(state.issuer.keys.jwks())
}
