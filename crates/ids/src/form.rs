//! Parsing a whole request into domain values while reporting every bad field
//! at once: each field's parse result is tagged with its name ([`At::at`]),
//! and a tuple of results becomes one result ([`All::all`]) that holds either
//! every value or every field's complaint.
//!
//! ```
//! use gridlink_ids::{All, At, Line, Paragraph};
//! let parsed = (
//!     Line::<10>::parse("  ").at("title"),
//!     Paragraph::<5>::parse("too long").at("description"),
//! )
//!     .all();
//! assert_eq!(parsed.unwrap_err().errors.len(), 2);
//! ```

use std::fmt::Display;

/// A problem with one field of a request body or query string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as the client named it (`title`, `links[2]`).
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One or more invalid fields: the request is refused with all of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError::new(field, message)],
        }
    }

    fn merge(&mut self, other: Invalid) {
        self.errors.extend(other.errors);
    }
}

impl Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self.errors.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

impl std::error::Error for Invalid {}

/// Names the field a parse result belongs to.
pub trait At<T> {
    fn at(self, field: &str) -> Result<T, Invalid>;
}

impl<T, E: Display> At<T> for Result<T, E> {
    fn at(self, field: &str) -> Result<T, Invalid> {
        self.map_err(|e| Invalid::field(field, e.to_string()))
    }
}

/// Combines field results: every value, or every field's error.
pub trait All {
    type Output;
    fn all(self) -> Result<Self::Output, Invalid>;
}

macro_rules! all_for_tuple {
    ($($value:ident),+) => {
        impl<$($value),+> All for ($(Result<$value, Invalid>,)+) {
            type Output = ($($value,)+);

            #[allow(non_snake_case)]
            fn all(self) -> Result<Self::Output, Invalid> {
                let ($($value,)+) = self;
                let mut invalid = Invalid::default();
                $(
                    let $value = match $value {
                        Ok(value) => Some(value),
                        Err(e) => {
                            invalid.merge(e);
                            None
                        }
                    };
                )+
                match ($($value,)+) {
                    ($(Some($value),)+) => Ok(($($value,)+)),
                    _ => Err(invalid),
                }
            }
        }
    };
}

all_for_tuple!(A);
all_for_tuple!(A, B);
all_for_tuple!(A, B, C);
all_for_tuple!(A, B, C, D);
all_for_tuple!(A, B, C, D, E);
all_for_tuple!(A, B, C, D, E, F);
all_for_tuple!(A, B, C, D, E, F, G);
all_for_tuple!(A, B, C, D, E, F, G, H);
all_for_tuple!(A, B, C, D, E, F, G, H, I);
all_for_tuple!(A, B, C, D, E, F, G, H, I, J);
all_for_tuple!(A, B, C, D, E, F, G, H, I, J, K);
all_for_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);

/// An optional field: absent is fine, present must parse.
pub fn optional<T, R, E>(
    value: Option<T>,
    parse: impl FnOnce(T) -> Result<R, E>,
) -> Result<Option<R>, E> {
    value.map(parse).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Line, Paragraph};

    #[test]
    fn every_bad_field_is_reported_in_order() {
        let invalid = (
            Line::<4>::parse("").at("title"),
            Ok::<_, Invalid>(3),
            Paragraph::<2>::parse("abc").at("bio"),
        )
            .all()
            .unwrap_err();
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "bio"]);
    }

    #[test]
    fn good_fields_come_back_as_values() {
        let (title, n) = (Line::<8>::parse(" hi ").at("title"), Ok::<_, Invalid>(7))
            .all()
            .unwrap();
        assert_eq!((title.as_str(), n), ("hi", 7));
        assert_eq!(optional(None::<&str>, Line::<3>::parse), Ok(None));
        assert!(optional(Some("long"), Line::<3>::parse).is_err());
    }
}
