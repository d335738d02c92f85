//! Parsing link fields into values the service can trust.

pub const TITLE_MAX: usize = 200;
pub const URL_MAX: usize = 2048;
pub const BACKGROUND_MAX: usize = 100;
pub const QUERY_MAX: usize = 200;

pub fn title(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > TITLE_MAX {
        return Err(format!("must be 1 to {TITLE_MAX} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// An absolute http(s) URL with a host, in its normalised form.
pub fn url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > URL_MAX {
        return Err(format!("must be at most {URL_MAX} characters"));
    }
    let parsed = url::Url::parse(raw).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err("must be an absolute http(s) URL".into());
    }
    Ok(parsed.to_string())
}

/// A background (a colour or an image reference, shown as given); empty clears it.
pub fn background(raw: &str) -> Result<Option<String>, String> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > BACKGROUND_MAX {
        return Err(format!("must be at most {BACKGROUND_MAX} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// Width or height in grid cells.
pub fn cells(value: i16) -> Result<i16, String> {
    if (1..=4).contains(&value) {
        Ok(value)
    } else {
        Err("must be 1 to 4".into())
    }
}

pub fn position(value: i32) -> Result<i32, String> {
    if value >= 0 {
        Ok(value)
    } else {
        Err("must be 0 or more".into())
    }
}

pub fn search_query(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > QUERY_MAX {
        return Err(format!("must be 1 to {QUERY_MAX} characters"));
    }
    Ok(trimmed.replace('\0', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host() {
        assert_eq!(url("https://example.com").unwrap(), "https://example.com/");
        assert!(url("http://example.com/a?b=c#d").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "example.com",
            "https://",
            "data:text/html,x",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
        assert!(url(&format!("https://example.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn sizes_are_one_to_four_cells() {
        assert!(cells(1).is_ok() && cells(4).is_ok());
        assert!(cells(0).is_err() && cells(5).is_err() && cells(-1).is_err());
    }

    #[test]
    fn an_empty_background_clears_it() {
        assert_eq!(background("").unwrap(), None);
        assert_eq!(background(" #ff0000 ").unwrap().as_deref(), Some("#ff0000"));
    }
}
