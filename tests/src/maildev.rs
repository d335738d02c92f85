//! The local MailDev (started by `make test`, as by `make up`): the SMTP
//! server the tests' mailers send to, read back through its REST API. Tests
//! share it, so each reads only the mail of addresses it made up.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// Where the mailers send (`SMTP_URL`).
pub const SMTP_URL: &str = "smtp://127.0.0.1:1025";
pub const SMTP_ADDR: &str = "127.0.0.1:1025";
const API: &str = "http://127.0.0.1:1080";

/// One caught mail.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub id: String,
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: String,
    pub to: Vec<Address>,
    pub from: Vec<Address>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Address {
    pub address: String,
}

impl Mail {
    /// The token of the mail's link (`…?token=…`).
    pub fn token(&self) -> String {
        let start = self
            .text
            .find("?token=")
            .expect("the mail has a token link")
            + 7;
        self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// The mail's first http(s) link.
    pub fn link(&self) -> String {
        let start = self.text.find("http").expect("the mail has a link");
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

/// Every mail sent to `to` so far, oldest first.
pub async fn inbox(to: &str) -> Vec<Mail> {
    let response = reqwest::Client::new()
        .get(format!("{API}/email"))
        .query(&[("to.address", to)])
        .send()
        .await
        .expect("MailDev answers on 127.0.0.1:1080 (make test starts it)");
    let mails: Vec<Mail> = response.json().await.unwrap();
    // The filter is MailDev's; check it.
    mails
        .into_iter()
        .filter(|m| m.to.iter().any(|a| a.address.eq_ignore_ascii_case(to)))
        .collect()
}

/// Waits until `to` has received `n` mails; returns them.
pub async fn await_mails(to: &str, n: usize, within: Duration) -> Vec<Mail> {
    let started = Instant::now();
    loop {
        let mails = inbox(to).await;
        if mails.len() >= n {
            return mails;
        }
        assert!(
            started.elapsed() < within,
            "{to} received {} mails, not {n}, within {within:?}",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
