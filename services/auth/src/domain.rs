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

/// The email addresses accepted, as a JSON Schema pattern (with `format:
/// email`): a dot-atom local part of letters, digits and `_%+-`, and a domain
/// of letter-digit-hyphen labels whose last one starts with a letter.
/// [`Email::parse`] accepts exactly these (a test checks the two agree).
pub const EMAIL_PATTERN: &str = concat!(
    "^[A-Za-z0-9_%+-]+(?:\\.[A-Za-z0-9_%+-]+)*@",
    "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+",
    "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
);

/// An email address, checked for its shape only and kept as given
/// (uniqueness ignores case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

fn label_ok(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const INVALID: &str = "must be a valid email address";
        if raw.len() > EMAIL_MAX {
            return Err(INVALID);
        }
        let Some((local, domain)) = raw.split_once('@') else {
            return Err(INVALID);
        };
        let local_ok = local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_%+-".contains(&b))
        });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| label_ok(l))
            && labels
                .last()
                .and_then(|l| l.as_bytes().first())
                .is_some_and(u8::is_ascii_alphabetic);
        if !local_ok || !domain_ok {
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
    fn the_parser_accepts_exactly_what_the_pattern_describes() {
        let pattern = regex::Regex::new(EMAIL_PATTERN).unwrap();
        for sample in [
            "a@example.com",
            "A.B+tag@sub.example.org",
            "a..b@x.yz",
            ".a@x.yz",
            "a.@x.yz",
            "a@b",
            "a@1.2",
            "a@b.c2",
            "a@b-.cd",
            "a@-b.cd",
            "a b@c.de",
            "a!b@c.de",
            "ä@c.de",
            "a@@c.de",
            "a@c..de",
            "_%+-@x-1.yz",
            "a@b.c-d",
            "",
        ] {
            assert_eq!(
                pattern.is_match(sample),
                Email::parse(sample).is_ok(),
                "{sample:?}"
            );
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
