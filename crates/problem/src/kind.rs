//! The kinds of problem a Gridlink API answers with. Each has a `type` URI
//! that stays the same across releases, a title and a status; the OpenAPI
//! documents list them, so clients can branch on `type`.

use actix_web::http::StatusCode;

/// Where the problem types live; each type URI is this plus its name.
pub const BASE: &str = "https://gridlink.dev/problems/";

macro_rules! problem_types {
    ($($variant:ident => ($name:literal, $status:ident, $title:literal, $description:literal),)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemType {
            $($variant,)+
        }

        impl ProblemType {
            pub const ALL: &'static [ProblemType] = &[$(Self::$variant,)+];

            /// The `type` member, e.g. `https://gridlink.dev/problems/validation`.
            pub fn uri(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!("https://gridlink.dev/problems/", $name),)+
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title,)+
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)+
                }
            }

            /// When a client meets this type, and what it should do.
            pub fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)+
                }
            }
        }
    };
}

problem_types! {
    Validation => ("validation", BAD_REQUEST, "Invalid request",
        "Fields failed validation; `errors` names each with its message. Fix them and send again."),
    BadRequest => ("bad-request", BAD_REQUEST, "Bad request",
        "The request could not be read at all (malformed JSON, a missing body)."),
    AuthenticationRequired => ("authentication-required", UNAUTHORIZED, "Authentication required",
        "The route needs an access token and none was sent."),
    TokenInvalid => ("token-invalid", UNAUTHORIZED, "Invalid access token",
        "The access token is malformed, forged or not for this API: log in again."),
    TokenExpired => ("token-expired", UNAUTHORIZED, "Access token expired",
        "The access token has expired: exchange the refresh token for a new pair."),
    SessionEnded => ("session-ended", UNAUTHORIZED, "Session ended",
        "The session of this token was ended (logout, password change, revocation): log in again."),
    AccountGone => ("account-gone", UNAUTHORIZED, "Account gone",
        "The account was deleted: log out."),
    InvalidCredentials => ("invalid-credentials", UNAUTHORIZED, "Invalid credentials",
        "The login, password, refresh token or code is wrong; the answer never says which."),
    Forbidden => ("forbidden", FORBIDDEN, "Forbidden",
        "The object is visible to the caller but not theirs to change, or the password is wrong."),
    NotFound => ("not-found", NOT_FOUND, "Not found",
        "No such route or object, or one the caller may not see."),
    MethodNotAllowed => ("method-not-allowed", METHOD_NOT_ALLOWED, "Method not allowed",
        "The route exists with other methods; `Allow` lists them."),
    RequestTimeout => ("request-timeout", REQUEST_TIMEOUT, "Request timeout",
        "The request body did not arrive in time."),
    Conflict => ("conflict", CONFLICT, "Conflict",
        "The request conflicts with the current state (a taken name, a full grid); `errors` may name the field."),
    Busy => ("busy", CONFLICT, "Busy",
        "Another change to the same object is in progress; retry after `Retry-After`."),
    PayloadTooLarge => ("payload-too-large", PAYLOAD_TOO_LARGE, "Payload too large",
        "The request body is over 64 KiB."),
    UnsupportedMediaType => ("unsupported-media-type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
        "The request body must be application/json."),
    RateLimited => ("rate-limited", TOO_MANY_REQUESTS, "Rate limited",
        "The caller's request budget is spent; wait `Retry-After` seconds (see `RateLimit`)."),
    LoginThrottled => ("login-throttled", TOO_MANY_REQUESTS, "Too many failed attempts",
        "Too many wrong passwords or codes for this account or address; wait `Retry-After` seconds."),
    Unavailable => ("dependency-unavailable", SERVICE_UNAVAILABLE, "Service unavailable",
        "A dependency (database, broker, another service) is unavailable; retry after `Retry-After`."),
    BadGateway => ("dependency-failed", BAD_GATEWAY, "Bad gateway",
        "A dependency answered with an error of its own."),
    GatewayTimeout => ("dependency-timeout", GATEWAY_TIMEOUT, "Gateway timeout",
        "A dependency did not answer in time; retry later."),
    Internal => ("internal", INTERNAL_SERVER_ERROR, "Internal error",
        "An unexpected failure; it was logged."),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_own_uri_under_the_base() {
        let mut uris: Vec<&str> = ProblemType::ALL.iter().map(|t| t.uri()).collect();
        assert!(uris.iter().all(|u| u.starts_with(BASE)));
        uris.sort();
        uris.dedup();
        assert_eq!(uris.len(), ProblemType::ALL.len());
    }
}
