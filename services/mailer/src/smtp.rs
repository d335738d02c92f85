//! Sending over SMTP with lettre (pooled connections, TLS as the URL says).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::SmtpSettings;
use crate::templates::Rendered;

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server refused it for good (a 5xx answer), or it cannot be a
    /// mail at all (a malformed address): sending again cannot help.
    #[error("refused: {0}")]
    Refused(String),
    /// The server cannot be reached, timed out or answered "try later".
    #[error("SMTP unavailable: {0}")]
    Unavailable(String),
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.expose())
            .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
            .timeout(Some(settings.timeout))
            .build();
        let from = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Sends `mail` to `to`.
    pub async fn send(&self, to: &str, mail: &Rendered) -> Result<(), SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError::Refused("the recipient is not an email address".into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| SendError::Refused(format!("the mail cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Refused(e.to_string())),
            Err(e) => Err(SendError::Unavailable(e.to_string())),
        }
    }
}

/// The wait before the next attempt while the server is unavailable:
/// doubling from half a second, up to `max`.
pub fn backoff(attempt: u32, max: Duration) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(16))).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let max = Duration::from_secs(10);
        assert_eq!(backoff(0, max), Duration::from_millis(500));
        assert_eq!(backoff(1, max), Duration::from_secs(1));
        assert_eq!(backoff(4, max), Duration::from_secs(8));
        assert_eq!(backoff(5, max), max);
        assert_eq!(backoff(u32::MAX, max), max);
    }
}
