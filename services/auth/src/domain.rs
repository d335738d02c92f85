//! Turning raw input into values the rest of the service can trust. Each
//! request body parses into its domain value, reporting every bad field at once.

use gridlink_ids::{All, At, Invalid, Line, Paragraph, Username, optional};

use crate::api::{SignupRequest, UpdateMeRequest};

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const BIO_MAX: usize = 1000;

pub type DisplayName = Line<DISPLAY_NAME_MAX>;
pub type Bio = Paragraph<BIO_MAX>;

/// An email address, checked for its shape only and kept as given
/// (uniqueness ignores case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const INVALID: &str = "must be a valid email address";
        if raw.len() > EMAIL_MAX || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(INVALID);
        }
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return Err(INVALID);
        };
        let labels_ok = domain.split('.').count() >= 2
            && domain
                .split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty() || local.len() > 64 || local.contains('@') || !labels_ok {
            return Err(INVALID);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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

/// A new account's fields.
pub struct Signup {
    pub username: Username,
    pub email: Email,
    pub display_name: DisplayName,
    pub password: String,
}

impl TryFrom<SignupRequest> for Signup {
    type Error = Invalid;

    fn try_from(body: SignupRequest) -> Result<Self, Invalid> {
        let (username, email, display_name, ()) = (
            Username::parse(&body.username).at("username"),
            Email::parse(&body.email).at("email"),
            optional(body.display_name.as_deref(), DisplayName::parse).at("display_name"),
            new_password(&body.password, &[&body.username, &body.email]).at("password"),
        )
            .all()?;
        let display_name = match display_name {
            Some(name) => name,
            None => DisplayName::parse(&username).at("display_name")?,
        };
        Ok(Self {
            username,
            email,
            display_name,
            password: body.password,
        })
    }
}

/// What a profile change sets; `None` leaves a field as it is.
pub struct ProfileUpdate {
    pub display_name: Option<DisplayName>,
    pub bio: Option<Bio>,
}

impl TryFrom<UpdateMeRequest> for ProfileUpdate {
    type Error = Invalid;

    fn try_from(body: UpdateMeRequest) -> Result<Self, Invalid> {
        let (display_name, bio) = (
            optional(body.display_name.as_deref(), DisplayName::parse).at("display_name"),
            optional(body.bio.as_deref(), Bio::parse).at("bio"),
        )
            .all()?;
        Ok(Self { display_name, bio })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("a@example.com").is_ok());
        assert!(Email::parse("A.B+tag@sub.example.org").is_ok());
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
            assert!(Email::parse(bad).is_err(), "{bad}");
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

    #[test]
    fn a_signup_names_every_bad_field() {
        let invalid = Signup::try_from(SignupRequest {
            username: "a!".into(),
            email: "nope".into(),
            password: "short".into(),
            display_name: Some(" ".into()),
        })
        .err()
        .unwrap();
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "display_name", "password"]);
    }
}
