//! Fields of a change (PATCH) body where `null` and absence mean different
//! things: absent leaves the value as it is, `null` clears it.
//!
//! `#[serde(default, deserialize_with = "gridlink_http::nullable::field")]`
//! on an `Option<Option<T>>`: absent is `None`, `null` is `Some(None)`.

use serde::{Deserialize, Deserializer};

pub fn field<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Change {
        #[serde(default, deserialize_with = "super::field")]
        ends_at: Option<Option<String>>,
    }

    fn ends_at(json: &str) -> Option<Option<String>> {
        serde_json::from_str::<Change>(json).unwrap().ends_at
    }

    #[test]
    fn absent_null_and_a_value_are_three_answers() {
        assert_eq!(ends_at("{}"), None);
        assert_eq!(ends_at(r#"{"ends_at": null}"#), Some(None));
        assert_eq!(ends_at(r#"{"ends_at": "x"}"#), Some(Some("x".into())));
    }
}
