//! Signing up, logging in and out, refreshing, and the public keys.

use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Json, client_ip};
use gridlink_ids::UserId;
use gridlink_problem::ApiError;

use crate::api::{
    LoginRequest, LoginResponse, PrivateUser, RefreshRequest, SignupRequest, SignupResponse,
    TokenPair,
};
use crate::credentials::{self, Attempt};
use crate::db::users::{self, NewUser, Taken};
use crate::db::{devices, identities, sessions};
use crate::domain::Signup;
use crate::passwords::Verified;
use crate::state::AppState;
use crate::tokens::{Holder, hash_token};
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
    let digests = state
        .identities
        .digests(&signup.username, signup.email.as_str());
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
    let password_hash = state.passwords.hash(signup.password).await?;
    let id = UserId::generate();
    let mut conn = state.db.conn().await?;
    let user = users::insert(
        &mut conn,
        NewUser {
            slug: &id,
            username: &signup.username,
            email: signup.email.as_str(),
            display_name: &signup.display_name,
            password_hash: &password_hash,
        },
    )
    .await
    .map_err(|e| match Taken::of(&e) {
        Some(Taken::Email) => ApiError::conflict("email", "this email is already registered"),
        Some(Taken::Username) => ApiError::conflict("username", "this username is taken"),
        None => e.into(),
    })?;
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

/// Log in with username or email. Any bad credential gets the same 401.
/// Failures are throttled per account and address, per account overall and
/// per address; a login presenting a device token of the account is
/// throttled by that device's own budget instead. A refused attempt counts
/// nothing.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
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
    let client = client_of(&req);
    let holder = Holder {
        user_id: user.id,
        user: &user.slug,
        client: &client,
    };
    let tokens = state.issuer.start_session(&mut conn, holder).await?;
    let device_token = state
        .issuer
        .device_token(&mut conn, user.id, device)
        .await?;
    Ok(super::private(StatusCode::OK).json(LoginResponse {
        user: PrivateUser::from(user),
        tokens,
        device_token,
    }))
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
