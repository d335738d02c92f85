//! The mailer service's settings, all from the environment.

use std::time::Duration;

use gridlink_config::{ConfigError, Secret, parse, secret, string};
use gridlink_service::KitConfig;

#[derive(Clone, Debug)]
pub struct Config {
    /// `MAILER_ADDR` (default 127.0.0.1:8085), `ADMIN_ADDR` (9085), the
    /// database, the broker, `INTERNAL_TOKENS`.
    pub kit: KitConfig,
    pub smtp: SmtpSettings,
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// `SMTP_URL`: `smtp://host:port` (plain, the local MailDev's default),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`.
    pub url: Secret,
    /// `MAIL_FROM`: the sender, `Name <address>`.
    pub from: String,
    /// `SMTP_TIMEOUT_MS`: one SMTP command's limit.
    pub timeout: Duration,
    /// `SMTP_RETRY_MAX_MS`: the longest wait between attempts while the SMTP
    /// server is unavailable.
    pub retry_max: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            kit: KitConfig::from_env(&crate::SPEC)?,
            smtp: SmtpSettings {
                url: secret("SMTP_URL").unwrap_or_else(|| Secret::new("smtp://127.0.0.1:1025")),
                from: string("MAIL_FROM", "Gridlink <no-reply@gridlink.localhost>"),
                timeout: Duration::from_millis(parse("SMTP_TIMEOUT_MS", 10_000)?),
                retry_max: Duration::from_millis(parse("SMTP_RETRY_MAX_MS", 10_000)?),
            },
        })
    }
}
