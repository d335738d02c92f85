//! Text a person typed: titles and names ([`Line`]), descriptions and bios
//! ([`Paragraph`]), usernames ([`Username`]). Each type carries its length
//! bound and character rules, so a value of the type has passed them.
//!
//! Front-ends render these strings, so besides control characters they refuse
//! the characters that change how the text around them is shown without
//! being visible themselves: bidi embeddings, overrides, isolates and marks
//! (an attacker's `U+202E` turns `gnp.exe` into `exe.png`) and invisible
//! format characters (zero-width spaces, word joiners, soft hyphens, BOMs).
//! The zero-width joiner and non-joiner stay allowed: emoji sequences and
//! several scripts need them.

use std::fmt;
use std::ops::Deref;

/// Characters that are invisible yet change the text around them.
pub fn is_hidden_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                      // soft hyphen
        | '\u{061C}'                    // Arabic letter mark
        | '\u{180E}'                    // Mongolian vowel separator
        | '\u{200B}'                    // zero-width space
        | '\u{200E}' | '\u{200F}'       // left-to-right / right-to-left marks
        | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'       // bidi isolates
        | '\u{206A}'..='\u{206F}'       // deprecated format characters
        | '\u{FEFF}'                    // zero-width no-break space (BOM)
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
    )
}

/// Why a piece of text was refused; the message is meant for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must be {min} to {max} characters")]
    Length { min: usize, max: usize },
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    Control,
    #[error("must not contain invisible or direction-changing characters")]
    Hidden,
    #[error("may contain only letters a-z, digits and underscores")]
    UsernameCharacters,
}

fn check_characters(text: &str, allow_newlines: bool) -> Result<(), TextError> {
    for c in text.chars() {
        if c.is_control() && !(allow_newlines && c == '\n') {
            return Err(TextError::Control);
        }
        if is_hidden_format(c) {
            return Err(TextError::Hidden);
        }
    }
    Ok(())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name<const MAX: usize>(String);

        impl<const MAX: usize> $name<MAX> {
            pub const MAX: usize = MAX;

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl<const MAX: usize> Deref for $name<MAX> {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> AsRef<str> for $name<MAX> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> fmt::Display for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// One line of 1 to `MAX` characters (counted as characters, not bytes),
    /// trimmed, without control or hidden characters: a title or a name.
    Line
);

text_type!(
    /// Up to `MAX` characters, kept as written, line breaks allowed, other
    /// control and hidden characters refused: a description or a bio.
    Paragraph
);

impl<const MAX: usize> Line<MAX> {
    /// At most `MAX` characters as sent, something besides white space,
    /// kept trimmed.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || raw.chars().count() > MAX {
            return Err(TextError::Length { min: 1, max: MAX });
        }
        check_characters(raw, false)?;
        Ok(Self(trimmed.to_owned()))
    }
}

impl<const MAX: usize> Paragraph<MAX> {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        if raw.chars().count() > MAX {
            return Err(TextError::TooLong { max: MAX });
        }
        check_characters(raw, true)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn empty() -> Self {
        Self(String::new())
    }
}

/// A username: 3 to 30 of `a-z`, `0-9` and `_`, accepted in any case and kept
/// in its canonical lowercase form, so usernames are unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 30;
    pub const PATTERN: &'static str = "^[A-Za-z0-9_]{3,30}$";

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let length = raw.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&length) {
            return Err(TextError::Length {
                min: Self::MIN,
                max: Self::MAX,
            });
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(TextError::UsernameCharacters);
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Deref for Username {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            Line::<128>::parse("  My links ").unwrap().as_str(),
            "My links"
        );
        assert_eq!(
            Line::<128>::parse("   ").unwrap_err().to_string(),
            "must be 1 to 128 characters"
        );
        assert!(Line::<128>::parse(&"x".repeat(129)).is_err());
        assert!(
            Line::<128>::parse(&"é".repeat(128)).is_ok(),
            "counted in characters"
        );
        assert_eq!(Line::<10>::parse("a\tb"), Err(TextError::Control));
    }

    #[test]
    fn hidden_characters_are_refused_but_emoji_sequences_are_kept() {
        for hidden in [
            '\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{200F}', '\u{00AD}',
        ] {
            let text = format!("gnp{hidden}.exe");
            assert_eq!(
                Line::<64>::parse(&text),
                Err(TextError::Hidden),
                "{hidden:?}"
            );
            assert_eq!(
                Paragraph::<64>::parse(&text),
                Err(TextError::Hidden),
                "{hidden:?}"
            );
        }
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert!(Line::<64>::parse(family).is_ok());
    }

    #[test]
    fn paragraphs_keep_line_breaks_and_nothing_else_invisible() {
        assert_eq!(
            Paragraph::<100>::parse("a\nb\n").unwrap().as_str(),
            "a\nb\n"
        );
        assert_eq!(Paragraph::<100>::parse("a\r\nb"), Err(TextError::Control));
        assert_eq!(
            Paragraph::<3>::parse("abcd").unwrap_err().to_string(),
            "must be at most 3 characters"
        );
        assert!(Paragraph::<3>::parse("").is_ok());
    }

    #[test]
    fn usernames_are_canonicalised_to_lowercase() {
        assert_eq!(Username::parse("Alice_01").unwrap().as_str(), "alice_01");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alice!").is_err());
        assert!(Username::parse("ålice").is_err());
    }
}
