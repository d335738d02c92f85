//! Public identifiers: a kind prefix (`us_`, `gr_`, `li_`, `se_`) and 32 lowercase
//! hex characters of randomness (128 bits). Each kind is its own type, parsed
//! once where it enters (a path, a body, a client's answer), so code past the
//! edge never checks a slug again and cannot mix a grid up with a link.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// The value was not a well-formed identifier of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be {what} ({prefix}...)")]
pub struct BadSlug {
    what: &'static str,
    prefix: &'static str,
}

fn random_hex(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source is available");
    let mut slug = String::with_capacity(prefix.len() + 32);
    slug.push_str(prefix);
    for b in bytes {
        let _ = write!(slug, "{b:02x}");
    }
    slug
}

fn well_formed(prefix: &str, value: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            /// The JSON Schema pattern of this kind.
            pub const PATTERN: &'static str = concat!("^", $prefix, "[0-9a-f]{32}$");

            /// A new random identifier.
            pub fn generate() -> Self {
                Self(random_hex(Self::PREFIX))
            }

            pub fn parse(value: &str) -> Result<Self, BadSlug> {
                if well_formed(Self::PREFIX, value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(BadSlug { what: $what, prefix: Self::PREFIX })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = BadSlug;
            fn from_str(value: &str) -> Result<Self, BadSlug> {
                Self::parse(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Hashes and compares as its text, so maps keyed by it can be read with a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&value).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "diesel")]
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.0.as_str(),
                    out,
                )
            }
        }

        #[cfg(feature = "diesel")]
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                Ok(Self::parse(&text)?)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(Self::PATTERN))
                    .examples([concat!($prefix, "0123456789abcdef0123456789abcdef")])
                    .build()
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

slug_type!(
    /// A user's public id (`us_...`).
    UserId,
    "us_",
    "a user id"
);
slug_type!(
    /// A grid's slug (`gr_...`).
    GridSlug,
    "gr_",
    "a grid slug"
);
slug_type!(
    /// A link's slug (`li_...`).
    LinkSlug,
    "li_",
    "a link slug"
);
slug_type!(
    /// A sign-in session's id (`se_...`): the `sid` of its access tokens.
    SessionId,
    "se_",
    "a session id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_their_prefix_and_128_random_bits() {
        let a = UserId::generate();
        let b = UserId::generate();
        assert!(UserId::parse(a.as_str()).is_ok(), "{a}");
        assert_ne!(a, b);
        assert!(GridSlug::generate().as_str().starts_with("gr_"));
        assert!(LinkSlug::generate().as_str().starts_with("li_"));
    }

    #[test]
    fn malformed_identifiers_are_rejected() {
        let good = GridSlug::generate();
        assert!(LinkSlug::parse(good.as_str()).is_err());
        assert!(GridSlug::parse(&good.as_str().to_uppercase()).is_err());
        assert!(GridSlug::parse(&good.as_str()[..34]).is_err());
        assert!(GridSlug::parse("gr_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").is_err());
        assert_eq!(
            LinkSlug::parse("x").unwrap_err().to_string(),
            "must be a link slug (li_...)"
        );
    }

    #[test]
    fn identifiers_are_checked_when_deserialised() {
        let ok: GridSlug = serde_json::from_str("\"gr_0123456789abcdef0123456789abcdef\"").unwrap();
        assert_eq!(ok.as_str(), "gr_0123456789abcdef0123456789abcdef");
        assert!(
            serde_json::from_str::<GridSlug>("\"li_0123456789abcdef0123456789abcdef\"").is_err()
        );
        assert_eq!(serde_json::to_string(&ok).unwrap(), format!("\"{ok}\""));
    }
}
