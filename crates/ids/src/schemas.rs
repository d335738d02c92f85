//! The JSON Schemas of the text rules, for request bodies' OpenAPI documents
//! (`#[schema(schema_with = gridlink_ids::schemas::line::<128>)]`). They say
//! exactly what the parsers accept, so a client generated from the document
//! never sends what the server refuses, and the server refuses whatever the
//! document does not allow.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// Control characters and the hidden format characters of [`crate::is_hidden_format`],
/// as the inside of a regex character class.
const EXCLUDED: &str = "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\
\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb";

/// The same, less the line feed (paragraphs keep line breaks).
const EXCLUDED_BUT_NEWLINE: &str = "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u061c\
\\u180e\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb";

/// White space that trimming removes (Unicode White_Space, less the controls).
const SPACES: &str = " \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// What [`crate::Line`] accepts: no control or hidden characters, and
/// something besides white space.
pub fn line_pattern() -> String {
    format!("^[^{EXCLUDED}]*[^{EXCLUDED}{SPACES}][^{EXCLUDED}]*$")
}

/// What [`crate::Paragraph`] accepts: line feeds, but no other control or
/// hidden character.
pub fn paragraph_pattern() -> String {
    format!("^[^{EXCLUDED_BUT_NEWLINE}]*$")
}

/// A [`crate::Line`] of at most `MAX` characters.
pub fn line<const MAX: usize>() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX))
        .pattern(Some(line_pattern()))
        .description(Some(
            "Trimmed; no control characters, bidi controls or invisible format characters",
        ))
        .build()
}

/// A [`crate::Paragraph`] of at most `MAX` characters.
pub fn paragraph<const MAX: usize>() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX))
        .pattern(Some(paragraph_pattern()))
        .description(Some(
            "Line breaks allowed; no other control characters, bidi controls or invisible format characters",
        ))
        .build()
}

/// `schema`, or `null` (an optional field that may be sent as null).
pub fn or_null(mut schema: Object) -> Object {
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// An optional [`crate::Line`] (absent or null: not set).
pub fn optional_line<const MAX: usize>() -> Object {
    or_null(line::<MAX>())
}

/// An optional [`crate::Paragraph`] (absent or null: not set).
pub fn optional_paragraph<const MAX: usize>() -> Object {
    or_null(paragraph::<MAX>())
}

/// A string that matches `pattern` and is at most `max` long.
pub fn pattern(pattern: &str, max: usize, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max))
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

/// A grid slug sent as text (parsed with the body's other fields).
pub fn grid_slug() -> Object {
    pattern(crate::GridSlug::PATTERN, 35, "A grid slug (gr_...)")
}

/// A link slug sent as text.
pub fn link_slug() -> Object {
    pattern(crate::LinkSlug::PATTERN, 35, "A link slug (li_...)")
}

/// A [`crate::Username`], in any case.
pub fn username() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(crate::Username::MIN))
        .max_length(Some(crate::Username::MAX))
        .pattern(Some(crate::Username::PATTERN))
        .description(Some("a-z, 0-9 and _, any case; unique ignoring case"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Line, Paragraph, Username};

    /// Every character is accepted by a pattern exactly when the parser
    /// accepts it, alone and between letters.
    #[test]
    fn the_patterns_accept_exactly_what_the_parsers_accept() {
        let line = regex::Regex::new(&line_pattern()).unwrap();
        let paragraph = regex::Regex::new(&paragraph_pattern()).unwrap();
        for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("a{c}b")] {
                assert_eq!(
                    line.is_match(&text),
                    Line::<10>::parse(&text).is_ok(),
                    "line {:?}",
                    text
                );
                assert_eq!(
                    paragraph.is_match(&text),
                    Paragraph::<10>::parse(&text).is_ok(),
                    "paragraph {:?}",
                    text
                );
            }
        }
        let username = regex::Regex::new(Username::PATTERN).unwrap();
        for name in ["abc", "ABC_12", "ab", "a-b", "ålice", &"a".repeat(31)] {
            assert_eq!(
                username.is_match(name),
                Username::parse(name).is_ok(),
                "{name}"
            );
        }
    }
}
