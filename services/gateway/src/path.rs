//! Turning the raw request path into the one path the gateway routes and
//! forwards, so no spelling (percent-encoding, dot segments, repeated or
//! back-slashes) can reach a route the gateway would refuse in plain form.

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

/// Which service serves a normalised public path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Auth,
    Grids,
    Links,
}

pub fn upstream_for(path: &str) -> Option<Upstream> {
    let mut parts = path.trim_start_matches('/').splitn(4, '/');
    let (api, version, resource) = (parts.next()?, parts.next()?, parts.next()?);
    if api != "api" || version != "v1" {
        return None;
    }
    match resource {
        "auth" | "users" => Some(Upstream::Auth),
        "grids" => Some(Upstream::Grids),
        "links" => Some(Upstream::Links),
        _ => None,
    }
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
            assert!(
                path.is_empty() || path.starts_with("/internal") || upstream_for(&path).is_none(),
                "{raw} -> {path}"
            );
            assert_eq!(upstream_for(&path), None, "{raw} must not be routed");
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
    fn public_paths_route_to_their_service() {
        assert_eq!(upstream_for("/api/v1/auth/login"), Some(Upstream::Auth));
        assert_eq!(upstream_for("/api/v1/users/me"), Some(Upstream::Auth));
        assert_eq!(upstream_for("/api/v1/grids"), Some(Upstream::Grids));
        assert_eq!(upstream_for("/api/v1/links/li_x"), Some(Upstream::Links));
        assert_eq!(upstream_for("/api/v2/grids"), None);
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
