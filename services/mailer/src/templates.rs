//! The mails, in plain text and HTML. Each template is Rust format strings,
//! so a missing or misspelt placeholder does not compile; every value put
//! into HTML is escaped first. A request whose `data` lacks a value its
//! template needs cannot be rendered (the mailer dead-letters it).

use std::collections::BTreeMap;

use gridlink_events::Template;

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("{template} needs `{key}` in its data")]
    Missing {
        template: &'static str,
        key: &'static str,
    },
    #[error("{template}'s link is not an http(s) URL")]
    BadLink { template: &'static str },
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn value<'a>(
    template: Template,
    data: &'a BTreeMap<String, String>,
    key: &'static str,
) -> Result<&'a str, RenderError> {
    data.get(key)
        .map(String::as_str)
        .ok_or(RenderError::Missing {
            template: template.name(),
            key,
        })
}

/// The HTML page around a mail's paragraphs (already HTML).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n{body}\n\
         <p style=\"color: #666\">Gridlink</p>\n</body></html>\n",
        title = escape_html(title),
    )
}

/// A paragraph of text, then a button-like link.
fn with_link(greeting: &str, paragraph: &str, action: &str, link: &str, after: &str) -> String {
    let link = escape_html(link);
    format!(
        "<p>{greeting}</p>\n<p>{paragraph}</p>\n<p><a href=\"{link}\">{action}</a></p>\n\
         <p>Or open this address: {link}</p>\n<p>{after}</p>",
        greeting = escape_html(greeting),
        paragraph = escape_html(paragraph),
        action = escape_html(action),
        after = escape_html(after),
    )
}

/// Renders `template` with `data`.
pub fn render(
    template: Template,
    data: &BTreeMap<String, String>,
) -> Result<Rendered, RenderError> {
    let username = value(template, data, "username")?;
    let link = if template.has_link() {
        let link = value(template, data, "link")?;
        if !(link.starts_with("https://") || link.starts_with("http://")) {
            return Err(RenderError::BadLink {
                template: template.name(),
            });
        }
        link
    } else {
        ""
    };
    let greeting = format!("Hello {username},");
    let (subject, text, html) = match template {
        Template::VerifyEmail => {
            let paragraph = "Please confirm that this is your email address for Gridlink.";
            let after =
                "The link works once, for 24 hours. If you did not sign up, ignore this mail.";
            (
                "Confirm your email address",
                format!("{greeting}\n\n{paragraph}\n\n{link}\n\n{after}\n"),
                with_link(&greeting, paragraph, "Confirm my address", link, after),
            )
        }
        Template::ConfirmEmailChange => {
            let paragraph = "You asked to use this address for your Gridlink account. Confirm it to make the change.";
            let after = "The link works once, for 24 hours. If you did not ask for this, ignore this mail: nothing changes.";
            (
                "Confirm your new email address",
                format!("{greeting}\n\n{paragraph}\n\n{link}\n\n{after}\n"),
                with_link(&greeting, paragraph, "Confirm the new address", link, after),
            )
        }
        Template::PasswordReset => {
            let paragraph = "Someone asked to reset the password of your Gridlink account. Choose a new one here:";
            let after = "The link works once, for 30 minutes. If you did not ask for it, ignore this mail: your password stays as it is.";
            (
                "Reset your password",
                format!("{greeting}\n\n{paragraph}\n\n{link}\n\n{after}\n"),
                with_link(&greeting, paragraph, "Choose a new password", link, after),
            )
        }
        Template::EmailChanged => {
            let paragraph = "The email address of your Gridlink account was changed, and this address no longer signs in to it. If you did not do this, reset your password and contact us.";
            (
                "Your email address was changed",
                format!("{greeting}\n\n{paragraph}\n"),
                format!(
                    "<p>{}</p>\n<p>{}</p>",
                    escape_html(&greeting),
                    escape_html(paragraph)
                ),
            )
        }
        Template::PasswordChanged => {
            let paragraph = "The password of your Gridlink account was changed, and every session signed in with the old one has ended. If you did not do this, reset your password now.";
            (
                "Your password was changed",
                format!("{greeting}\n\n{paragraph}\n"),
                format!(
                    "<p>{}</p>\n<p>{}</p>",
                    escape_html(&greeting),
                    escape_html(paragraph)
                ),
            )
        }
    };
    Ok(Rendered {
        subject: subject.to_owned(),
        html: page(subject, &html),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_template_renders_its_values_in_text_and_html() {
        let link = "https://gridlink.example/reset?token=abc";
        for template in Template::ALL {
            let mail = render(template, &data(&[("username", "ada"), ("link", link)])).unwrap();
            assert!(!mail.subject.is_empty());
            assert!(mail.text.contains("Hello ada,"), "{template:?}");
            assert!(mail.html.contains("Hello ada,"), "{template:?}");
            assert_eq!(
                mail.text.contains(link),
                template.has_link(),
                "{template:?}"
            );
            assert_eq!(
                mail.html.contains(link),
                template.has_link(),
                "{template:?}"
            );
        }
    }

    #[test]
    fn values_are_escaped_in_html_and_kept_in_text() {
        let evil = "<script>alert(\"x\")</script>&";
        let link = "https://gridlink.example/verify?token=a&b=\"><img src=x>";
        let mail = render(
            Template::VerifyEmail,
            &data(&[("username", evil), ("link", link)]),
        )
        .unwrap();
        assert!(!mail.html.contains("<script>"));
        assert!(!mail.html.contains("<img"));
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;")
        );
        assert!(
            mail.html
                .contains("token=a&amp;b=&quot;&gt;&lt;img src=x&gt;")
        );
        assert!(mail.text.contains(evil));
    }

    #[test]
    fn missing_values_and_links_that_are_not_web_addresses_do_not_render() {
        assert_eq!(
            render(Template::PasswordReset, &data(&[("username", "ada")])),
            Err(RenderError::Missing {
                template: "password_reset",
                key: "link"
            })
        );
        assert_eq!(
            render(Template::PasswordChanged, &data(&[])),
            Err(RenderError::Missing {
                template: "password_changed",
                key: "username"
            })
        );
        assert_eq!(
            render(
                Template::VerifyEmail,
                &data(&[("username", "ada"), ("link", "javascript:alert(1)")])
            ),
            Err(RenderError::BadLink {
                template: "verify_email"
            })
        );
    }
}
