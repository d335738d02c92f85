//! The JSON shapes of the auth API. Requests refuse unknown fields.

use chrono::{DateTime, Utc};
use gridlink_ids::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::users::User;
use crate::domain::{EMAIL_MAX, EMAIL_PATTERN};

fn email_schema() -> utoipa::openapi::Object {
    let mut schema = gridlink_ids::schemas::pattern(
        EMAIL_PATTERN,
        EMAIL_MAX,
        "An email address; unique ignoring case",
    );
    schema.format = Some(utoipa::openapi::SchemaFormat::KnownFormat(
        utoipa::openapi::KnownFormat::Email,
    ));
    schema
}

/// The same pattern without `format: email`: for an address that is only
/// looked up, where fuzzers' idea of a malformed address (any they make up)
/// must not be judged by a format the pattern does not follow.
fn address_schema() -> utoipa::openapi::Object {
    gridlink_ids::schemas::pattern(EMAIL_PATTERN, EMAIL_MAX, "An email address")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// Stored lowercase.
    #[schema(schema_with = gridlink_ids::schemas::username)]
    pub username: String,
    #[schema(schema_with = email_schema)]
    pub email: String,
    /// 8-128 characters; common or guessable passwords are refused.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Defaults to the username.
    #[schema(schema_with = gridlink_ids::schemas::optional_line::<64>)]
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email.
    pub login: String,
    pub password: String,
    /// The `device_token` an earlier login on this device returned: such a
    /// login is throttled by the device's own budget, so strangers guessing
    /// the password cannot lock its owner out.
    pub device_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[schema(schema_with = gridlink_ids::schemas::optional_line::<64>)]
    pub display_name: Option<String>,
    #[schema(schema_with = gridlink_ids::schemas::optional_paragraph::<1000>)]
    pub bio: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    pub password: String,
}

/// What anyone may see of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub created_at: DateTime<Utc>,
}

/// The user as they see themselves.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivateUser {
    pub id: UserId,
    pub username: String,
    pub email: String,
    /// Whether `email` was confirmed from a mail sent to it.
    pub email_verified: bool,
    /// Whether logins need a TOTP code (or a recovery code) too.
    pub mfa_enabled: bool,
    pub display_name: String,
    pub bio: String,
    pub created_at: DateTime<Utc>,
}

/// How to send the access token: `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// EdDSA JWT, `typ: at+jwt`; send as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Opaque; shown once. Exchange at /auth/refresh.
    pub refresh_token: String,
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    pub user: PrivateUser,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: PrivateUser,
    #[serde(flatten)]
    pub tokens: TokenPair,
    /// Keep it on this device and send it with later logins (opaque; shown once).
    pub device_token: String,
}

/// A right password of an account with TOTP on: send a code (or a
/// recovery code) with `mfa_token` to `POST /api/v1/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    /// Single-use, short-lived (opaque).
    pub mfa_token: String,
    /// Seconds `mfa_token` lives.
    pub expires_in: u64,
}

/// A login's answer: tokens, or the second factor to present first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(LoginResponse),
    MfaRequired(MfaRequired),
}

/// A login's second step. Exactly one of `code` and `recovery_code`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub mfa_token: String,
    /// The authenticator app's current 6-digit code.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    /// One of the recovery codes shown when TOTP was turned on (each works once).
    #[schema(max_length = 64)]
    pub recovery_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: String,
}

/// A new TOTP secret, not active until confirmed with a first code.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/...`, for a link or a QR code.
    pub otpauth_uri: String,
    /// `otpauth_uri` as an SVG QR code.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The authenticator app's current 6-digit code.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the authenticator is lost: shown once,
    /// kept only as hashes.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpRequest {
    pub password: String,
    /// The authenticator app's current 6-digit code.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// A sign-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session's id (`se_...`): the `sid` of its access tokens.
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    /// Its last sign-in or refresh.
    pub last_used_at: DateTime<Utc>,
    /// When it ends at the latest, whatever its refreshes.
    pub expires_at: DateTime<Utc>,
    /// The client that started it, e.g. "Firefox on Linux".
    pub client: String,
    /// The session of the token this request was made with.
    pub current: bool,
}

/// The user's live sessions, newest first (at most 50).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// End the current session too (default: every other one).
    pub include_current: Option<bool>,
}

/// A batch of users, in no particular order; unknown ids are left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBatch {
    pub items: Vec<PublicUser>,
}

impl From<User> for PublicUser {
    fn from(u: User) -> Self {
        Self {
            id: u.slug,
            username: u.username,
            display_name: u.display_name,
            bio: u.bio,
            created_at: u.created_at,
        }
    }
}

impl From<User> for PrivateUser {
    fn from(u: User) -> Self {
        Self {
            id: u.slug,
            username: u.username,
            email: u.email,
            email_verified: u.email_verified_at.is_some(),
            mfa_enabled: u.mfa_enabled_at.is_some(),
            display_name: u.display_name,
            bio: u.bio,
            created_at: u.created_at,
        }
    }
}

/// One service's confirmation that it erased a user's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceErasure {
    pub service: String,
    pub erased_at: DateTime<Utc>,
}

/// Where the erasure of a deleted user's data stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureStatus {
    pub user_id: UserId,
    pub deleted_at: DateTime<Utc>,
    /// Services that confirmed.
    pub confirmed: Vec<ServiceErasure>,
    /// Services still expected to confirm.
    pub pending: Vec<String>,
    /// Every expected service confirmed.
    pub complete: bool,
}

/// The JSON Web Key Set that verifies access tokens (RFC 7517): every key
/// that may have signed a live token (two during a rotation).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (RFC 8037).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: String,
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// Matches the `kid` in an access token's header.
    pub kid: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: Option<String>,
    #[schema(example = "EdDSA")]
    pub alg: Option<String>,
}

/// A token from a mailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    #[schema(schema_with = address_schema)]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token of the reset mail's link.
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
    /// 8-128 characters; common or guessable passwords are refused.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmailRequest {
    #[schema(schema_with = email_schema)]
    pub new_email: String,
    /// The current password.
    pub password: String,
}
