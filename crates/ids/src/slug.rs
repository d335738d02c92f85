use std::fmt::Write as _;

/// What a slug names; each kind has its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugKind {
    User,
    Grid,
    Link,
}

impl SlugKind {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::User => "us_",
            Self::Grid => "gr_",
            Self::Link => "li_",
        }
    }
}

/// A new random slug of the given kind.
pub fn new_slug(kind: SlugKind) -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
    let mut slug = String::with_capacity(35);
    slug.push_str(kind.prefix());
    for b in bytes {
        let _ = write!(slug, "{b:02x}");
    }
    slug
}

/// Whether `value` is a well-formed slug of `kind`.
pub fn is_slug(kind: SlugKind, value: &str) -> bool {
    value.strip_prefix(kind.prefix()).is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_have_their_prefix_and_128_random_bits() {
        let a = new_slug(SlugKind::User);
        let b = new_slug(SlugKind::User);
        assert!(is_slug(SlugKind::User, &a), "{a}");
        assert_ne!(a, b);
        assert!(new_slug(SlugKind::Grid).starts_with("gr_"));
        assert!(new_slug(SlugKind::Link).starts_with("li_"));
    }

    #[test]
    fn malformed_slugs_are_rejected() {
        let good = new_slug(SlugKind::Grid);
        assert!(!is_slug(SlugKind::Link, &good));
        assert!(!is_slug(SlugKind::Grid, &good.to_uppercase()));
        assert!(!is_slug(SlugKind::Grid, &good[..good.len() - 1]));
        assert!(!is_slug(
            SlugKind::Grid,
            "gr_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
        ));
    }
}
