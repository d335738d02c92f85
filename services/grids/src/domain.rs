//! Parsing grid fields into values the service can trust.

pub const TITLE_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 2000;

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

pub fn description(raw: &str) -> Result<String, String> {
    if raw.chars().count() > DESCRIPTION_MAX {
        return Err(format!("must be at most {DESCRIPTION_MAX} characters"));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters".into());
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  My links ").unwrap(), "My links");
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(129)).is_err());
        assert!(title(&"é".repeat(128)).is_ok(), "counted in characters");
    }
}
