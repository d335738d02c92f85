//! Turning raw input into values the rest of the service can trust. Each
//! parser returns the canonical form or the message for that field; request
//! handlers collect every field's message into one 400.

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 30;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const BIO_MAX: usize = 1000;

/// Usernames are case-insensitive: accepted in any case, stored lowercase.
pub fn username(raw: &str) -> Result<String, String> {
    let len = raw.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(format!(
            "must be {USERNAME_MIN} to {USERNAME_MAX} characters"
        ));
    }
    if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err("may contain only letters a-z, digits and underscores".into());
    }
    Ok(raw.to_ascii_lowercase())
}

/// A syntactic check only: the address is kept as given (uniqueness ignores case).
pub fn email(raw: &str) -> Result<String, String> {
    let invalid = || Err("must be a valid email address".to_owned());
    if raw.len() > EMAIL_MAX || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return invalid();
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty() || local.len() > 64 || local.contains('@') || !labels_ok {
        return invalid();
    }
    Ok(raw.to_owned())
}

/// ASVS 5.0 password rules: 8 to 128 characters (counted as characters, never
/// truncated), no composition rules, and common or guessable passwords refused.
/// `context` holds the user's own words (username, email), which make a
/// password weak when reused.
pub fn new_password(raw: &str, context: &[&str]) -> Result<(), String> {
    let len = raw.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        return Err(format!(
            "must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"
        ));
    }
    if (zxcvbn::zxcvbn(raw, context).score() as u8) < 2 {
        return Err("is too common or too easy to guess; try a longer phrase".into());
    }
    Ok(())
}

pub fn display_name(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > DISPLAY_NAME_MAX {
        return Err(format!("must be 1 to {DISPLAY_NAME_MAX} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

pub fn bio(raw: &str) -> Result<String, String> {
    if raw.chars().count() > BIO_MAX {
        return Err(format!("must be at most {BIO_MAX} characters"));
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
    fn usernames_are_canonicalised_to_lowercase() {
        assert_eq!(username("Alice_01").unwrap(), "alice_01");
        assert!(username("ab").is_err());
        assert!(username(&"a".repeat(31)).is_err());
        assert!(username("al ice").is_err());
        assert!(username("alice!").is_err());
        assert!(username("ålice").is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("a@example.com").is_ok());
        assert!(email("A.B+tag@sub.example.org").is_ok());
        for bad in [
            "",
            "a",
            "a@",
            "@example.com",
            "a@example",
            "a b@example.com",
            "a@.com",
            "a@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_counted_in_characters_and_common_ones_refused() {
        assert!(new_password("correct horse battery staple", &[]).is_ok());
        assert!(new_password("short", &[]).is_err());
        assert!(
            new_password(&"x7Kq!".repeat(26), &[]).is_err(),
            "over 128 chars"
        );
        assert!(new_password("password123", &[]).is_err());
        assert!(new_password("aliceexample", &["alice", "alice@example.com"]).is_err());
        // 8 multi-byte characters are 8 characters, not 24 bytes.
        assert!(new_password("жёлтый-кот-ест", &[]).is_ok());
    }

    #[test]
    fn no_composition_rules() {
        assert!(new_password("lowercase only but long enough phrase", &[]).is_ok());
    }
}
