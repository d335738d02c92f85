//! The mail the auth service asks the mailer for: the single-use tokens it
//! carries (256-bit, stored hashed) and the links to the front-end pages
//! that take them (`{PUBLIC_BASE_URL}/verify-email?token=…`,
//! `{PUBLIC_BASE_URL}/reset-password?token=…`), and the notices that need
//! no token.

use std::time::Duration;

use chrono::Utc;
use gridlink_events::{NotificationRequested, Template};
use gridlink_ids::UserId;

use crate::config::MailSettings;
use crate::db::email_tokens::{NewToken, Purpose};
use crate::tokens::{hash_token, new_opaque_token};

/// A token to store and the mail that carries it.
pub struct Issued<'a> {
    pub token: NewToken<'a>,
    pub mail: NotificationRequested,
}

/// Who a mail is for.
pub struct Recipient<'a> {
    pub id: i64,
    pub user: &'a UserId,
    pub username: &'a str,
}

impl MailSettings {
    fn ttl(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::Verify | Purpose::Change => self.verify_ttl,
            Purpose::Reset => self.reset_ttl,
        }
    }

    /// A token for `purpose`, sent to `email` in a mail linking to the page
    /// that takes it.
    pub fn issue<'a>(&self, to: &Recipient<'_>, purpose: Purpose, email: &'a str) -> Issued<'a> {
        let token = new_opaque_token();
        let (page, template) = match purpose {
            Purpose::Verify => ("verify-email", Template::VerifyEmail),
            Purpose::Change => ("verify-email", Template::ConfirmEmailChange),
            Purpose::Reset => ("reset-password", Template::PasswordReset),
        };
        let link = format!(
            "{}/{page}?token={token}",
            self.public_base_url.trim_end_matches('/')
        );
        let expires_at =
            Utc::now() + chrono::Duration::from_std(self.ttl(purpose)).unwrap_or_default();
        Issued {
            token: NewToken {
                hash: hash_token(&token),
                user_id: to.id,
                purpose,
                email,
                expires_at,
            },
            mail: NotificationRequested::new(
                to.user.clone(),
                template,
                email,
                [("username", to.username.to_owned()), ("link", link)],
            ),
        }
    }
}

/// A notice that carries no token.
pub fn notice(
    user: &UserId,
    username: &str,
    to: &str,
    template: Template,
) -> NotificationRequested {
    NotificationRequested::new(
        user.clone(),
        template,
        to,
        [("username", username.to_owned())],
    )
}
