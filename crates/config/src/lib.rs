//! Configuration from the environment, with local defaults.
//!
//! Every service reads its settings through these small typed readers so that a
//! local run works with no configuration at all and a deployment overrides only
//! what it needs. Secrets are wrapped in [`Secret`], whose `Debug` never prints
//! the value.

use std::fmt;
use std::str::FromStr;

/// Why a variable could not be used. Never contains the variable's value, so it
/// is safe to print even for secrets.
#[derive(Debug)]
pub struct ConfigError {
    pub name: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid value for {}: {}", self.name, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The variable's value, or `None` when it is unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn string(name: &str, default: &str) -> String {
    var(name).unwrap_or_else(|| default.to_owned())
}

/// Parses the variable, or returns `default` when it is unset.
pub fn parse<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    parse_value(name, var(name), default)
}

fn parse_value<T>(name: &str, raw: Option<String>, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match raw {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
            name: name.to_owned(),
            reason: e.to_string(),
        }),
    }
}

pub fn secret(name: &str) -> Option<Secret> {
    var(name).map(Secret)
}

/// A comma-separated list; empty when unset.
pub fn list(name: &str) -> Vec<String> {
    var(name).map(|raw| split_list(&raw)).unwrap_or_default()
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `DATABASE_URL`, defaulting to the service's own database on the local server.
pub fn database_url(service: &str) -> Secret {
    secret("DATABASE_URL").unwrap_or_else(|| {
        Secret(format!(
            "postgres://postgres@127.0.0.1:5432/gridlink_{service}"
        ))
    })
}

/// `AMQP_URL`, defaulting to the local broker's default vhost.
pub fn amqp_url() -> Secret {
    secret("AMQP_URL").unwrap_or_else(|| Secret("amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = Secret::new("hunter2-super-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-super-secret");
    }

    #[test]
    fn parse_reports_the_variable_name_but_not_its_value() {
        let err = parse_value::<u16>("PORT", Some("not-a-number".into()), 1).unwrap_err();
        assert!(err.to_string().contains("PORT"));
        assert!(!err.to_string().contains("not-a-number"));
        assert_eq!(parse_value::<u16>("PORT", None, 7).unwrap(), 7);
        assert_eq!(
            parse_value::<u16>("PORT", Some(" 42 ".into()), 7).unwrap(),
            42
        );
    }

    #[test]
    fn lists_split_on_commas_and_drop_blanks() {
        assert_eq!(split_list(" a, b ,,c "), vec!["a", "b", "c"]);
        assert!(split_list("").is_empty());
    }
}
