//! Turning the raw request path into the one path the gateway routes and
//! forwards, so no spelling (percent-encoding, dot segments, repeated or
//! back-slashes) can reach a route the gateway would refuse in plain form.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;
use gridlink_problem::ApiError;

/// Middleware: routes the request by its normalised path, or answers 404
/// for a path that cannot be made safe.
pub async fn normalized(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(path) = normalize(req.path()) else {
        let refusal =
            actix_web::ResponseError::error_response(&ApiError::NotFound("no such route".into()));
        return Ok(req.into_response(refusal));
    };
    let encoded = encode(&path);
    if encoded != req.path() {
        let path_and_query = match req.uri().query() {
            Some(query) => format!("{encoded}?{query}"),
            None => encoded,
        };
        if let Ok(uri) = path_and_query.parse::<Uri>() {
            req.head_mut().uri = uri.clone();
            req.match_info_mut().get_mut().update(&uri);
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The decoded, normalised path, or `None` when it cannot be made safe.
pub fn normalize(raw: &str) -> Option<String> {
    let decoded = percent_decode(raw)?;
    if decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return None;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    Some(format!("/{}", segments.join("/")))
}

/// Decodes %XX escapes (repeatedly, so double encoding cannot hide anything).
fn percent_decode(raw: &str) -> Option<String> {
    let mut current = raw.to_owned();
    for _ in 0..3 {
        if !current.contains('%') {
            return Some(current);
        }
        let bytes = current.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = bytes.get(i + 1..i + 3)?;
                let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                out.push(value);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        current = String::from_utf8(out).ok()?;
    }
    (!current.contains('%')).then_some(current)
}

/// Re-encodes a normalised path for the upstream request.
pub fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'@'
            | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_internal_normalises_to_it() {
        for raw in [
            "/internal/v1/users",
            "//internal/v1/users",
            "/api/v1/grids/../../internal/v1/users",
            "/api/v1/%2e%2e/%2e%2e/internal/v1/users",
            "/%69nternal/v1/users",
            "/api/v1/grids/..%2f..%2finternal/v1/users",
            "/api/v1/grids/%252e%252e/%252e%252e/internal/v1/users",
            "/./internal/./v1/users",
        ] {
            let path = normalize(raw).unwrap_or_default();
            let routes = crate::routes::EdgeRoutes::public().table();
            assert!(
                routes.find(&path).is_none(),
                "{raw} -> {path} must not be routed"
            );
        }
    }

    #[test]
    fn unsafe_paths_are_refused() {
        assert_eq!(normalize("/../etc/passwd"), None);
        assert_eq!(normalize("/api/v1/grids\\..\\x"), None);
        assert_eq!(normalize("/api/%00"), None);
        assert_eq!(normalize("/api/%zz"), None);
    }

    #[test]
    fn slashes_and_dots_are_folded() {
        assert_eq!(
            normalize("/api//v1/./grids/").as_deref(),
            Some("/api/v1/grids")
        );
    }

    #[test]
    fn encoding_keeps_plain_paths_and_escapes_the_rest() {
        assert_eq!(encode("/api/v1/users/alice_1"), "/api/v1/users/alice_1");
        assert_eq!(encode("/api/v1/users/a b?"), "/api/v1/users/a%20b%3F");
    }
}
