//! Whole numbers in JSON bodies as JSON Schema has them: `2` and `2.0` are
//! the same integer (the schema's `integer` type admits both), so request
//! fields of integer types read either, with plain-words errors otherwise.
//!
//! `#[serde(default, deserialize_with = "gridlink_http::whole::optional")]`

use serde::Deserialize;
use serde::de::{Deserializer, Error};

fn whole<T: TryFrom<i64>>(number: serde_json::Number) -> Result<T, &'static str> {
    let value = match number.as_i64() {
        Some(value) => value,
        None => match number.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
            Some(f) if f.fract() == 0.0 => return Err("is out of range"),
            _ => return Err("must be a whole number"),
        },
    };
    T::try_from(value).map_err(|_| "is out of range")
}

/// An optional whole number of type `T` (absent or null: `None`).
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    match Option::<serde_json::Number>::deserialize(deserializer) {
        Ok(None) => Ok(None),
        Ok(Some(number)) => whole(number).map(Some).map_err(D::Error::custom),
        Err(_) => Err(D::Error::custom("must be a whole number")),
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional")]
        width: Option<i16>,
    }

    fn width(json: &str) -> Result<Option<i16>, String> {
        serde_json::from_str::<Body>(json)
            .map(|b| b.width)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integers_and_integral_floats_are_the_same_number() {
        assert_eq!(width(r#"{"width": 2}"#), Ok(Some(2)));
        assert_eq!(width(r#"{"width": 2.0}"#), Ok(Some(2)));
        assert_eq!(width(r#"{"width": null}"#), Ok(None));
        assert_eq!(width(r#"{}"#), Ok(None));
        assert!(
            width(r#"{"width": 2.5}"#)
                .unwrap_err()
                .starts_with("must be a whole number")
        );
        assert!(
            width(r#"{"width": 70000}"#)
                .unwrap_err()
                .starts_with("is out of range")
        );
        assert!(
            width(r#"{"width": "2"}"#)
                .unwrap_err()
                .starts_with("must be a whole number")
        );
    }
}
