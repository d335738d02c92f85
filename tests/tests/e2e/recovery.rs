//! Account recovery end to end: auth writes the mail to its outbox, the
//! mailer sends it over SMTP to the local MailDev, and the test reads it
//! there and follows its link, as the user would.

use std::time::{Duration, Instant};

use gridlink_e2e::figures::{self, millis, percentile};
use gridlink_e2e::maildev::{self, Mail, SMTP_ADDR, SMTP_URL};
use gridlink_e2e::proxy::Proxy;
use gridlink_e2e::stack::{Options, Stack};
use gridlink_test_support::PASSWORD;
use reqwest::Method;
use serde_json::{Value, json};

const MAIL_WITHIN: Duration = Duration::from_secs(15);

async fn stack_sending_to(smtp_url: String) -> Stack {
    Stack::start_options(Options {
        mailer: Some(smtp_url),
        gateway: Some(Box::new(|config: &mut gateway::Config| {
            config.anonymous.limit = 1_000_000_000;
            config.users.limit = 1_000_000_000;
        })),
        ..Options::default()
    })
    .await
}

async fn stack() -> Stack {
    stack_sending_to(SMTP_URL.to_owned()).await
}

/// A username and an address no other test (or run) uses.
fn fresh(name: &str) -> (String, String) {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..10];
    (format!("{name}_{tag}"), format!("{name}.{tag}@mail.test"))
}

struct Account {
    username: String,
    email: String,
    access: String,
    refresh: String,
}

async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    stack
        .request(stack.edge(), method, path, token, Some(&body))
        .await
}

async fn sign_up(stack: &Stack, name: &str) -> Account {
    let (username, email) = fresh(name);
    let response = call(
        stack,
        Method::POST,
        "/api/v1/auth/signup",
        None,
        json!({"username": username, "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email_verified"], false);
    Account {
        username,
        email,
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn verify(stack: &Stack, token: &str) -> reqwest::Response {
    call(
        stack,
        Method::POST,
        "/api/v1/auth/email/verify",
        None,
        json!({"token": token}),
    )
    .await
}

/// An account whose address is verified from its signup mail.
async fn verified(stack: &Stack, name: &str) -> Account {
    let account = sign_up(stack, name).await;
    let mail = maildev::await_mails(&account.email, 1, MAIL_WITHIN)
        .await
        .remove(0);
    assert_eq!(verify(stack, &mail.token()).await.status(), 204);
    account
}

async fn me(stack: &Stack, access: &str) -> reqwest::Response {
    stack
        .request(
            stack.edge(),
            Method::GET,
            "/api/v1/users/me",
            Some(access),
            None,
        )
        .await
}

async fn problem_field(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["type"].as_str().unwrap_or_default().to_owned(),
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn forgot(stack: &Stack, email: &str) -> reqwest::Response {
    call(
        stack,
        Method::POST,
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": email}),
    )
    .await
}

async fn reset(stack: &Stack, token: &str, new_password: &str) -> reqwest::Response {
    call(
        stack,
        Method::POST,
        "/api/v1/auth/password/reset",
        None,
        json!({"token": token, "new_password": new_password}),
    )
    .await
}

async fn login(stack: &Stack, login: &str, password: &str) -> reqwest::Response {
    call(
        stack,
        Method::POST,
        "/api/v1/auth/login",
        None,
        json!({"login": login, "password": password}),
    )
    .await
}

/// How many mails of the send log the mailer settled as `status`.
async fn sends(stack: &Stack, status: &str) -> i64 {
    let mailer = stack.mailer.as_ref().unwrap();
    stack
        .count(
            mailer,
            &format!("SELECT count(*) AS n FROM sends WHERE status = '{status}'"),
        )
        .await
}

#[tokio::test]
async fn signup_mails_a_link_that_verifies_the_address_once() {
    let stack = stack().await;
    let account = sign_up(&stack, "verifier").await;
    let mail: Mail = maildev::await_mails(&account.email, 1, MAIL_WITHIN)
        .await
        .remove(0);
    assert_eq!(mail.subject, "Confirm your email address");
    assert_eq!(mail.from[0].address, "no-reply@gridlink.localhost");
    assert!(mail.text.contains(&format!("Hello {},", account.username)));
    assert!(
        mail.link()
            .starts_with("http://127.0.0.1:8080/verify-email?token="),
        "{}",
        mail.link()
    );
    assert!(
        mail.html
            .contains("href=\"http://127.0.0.1:8080/verify-email?token=")
    );
    assert_eq!(mail.token().len(), 43, "256 random bits, base64url");
    let before: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(before["email_verified"], false);

    // Tampered, unknown, empty and oversized tokens are refused and change nothing.
    let mut tampered = mail.token();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(42.., last);
    for bad in [tampered.as_str(), "nonsense", "", &"x".repeat(500)] {
        let (status, kind, field) = problem_field(verify(&stack, bad).await).await;
        assert_eq!((status, field.as_str()), (400, "token"), "{bad}");
        assert!(kind.ends_with("/validation"), "{kind}");
    }
    let still: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(still["email_verified"], false);

    assert_eq!(verify(&stack, &mail.token()).await.status(), 204);
    let after: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(after["email_verified"], true);
    assert_eq!(
        problem_field(verify(&stack, &mail.token()).await).await.0,
        400,
        "single use"
    );

    // Resending to a verified address sends nothing.
    let resend = call(
        &stack,
        Method::POST,
        "/api/v1/auth/email/verify/resend",
        Some(&account.access),
        json!({}),
    )
    .await;
    assert_eq!(resend.status(), 202);
    let anonymous = stack
        .request(
            stack.edge(),
            Method::POST,
            "/api/v1/auth/email/verify/resend",
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status(), 401);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(maildev::inbox(&account.email).await.len(), 1);
}

#[tokio::test]
async fn a_resent_verification_ends_the_older_link_and_expired_links_fail() {
    let stack = stack().await;
    let account = sign_up(&stack, "resender").await;
    let first = maildev::await_mails(&account.email, 1, MAIL_WITHIN)
        .await
        .remove(0);
    let resend = call(
        &stack,
        Method::POST,
        "/api/v1/auth/email/verify/resend",
        Some(&account.access),
        json!({}),
    )
    .await;
    assert_eq!(resend.status(), 202);
    let second = maildev::await_mails(&account.email, 2, MAIL_WITHIN)
        .await
        .remove(1);
    assert_ne!(first.token(), second.token());
    assert_eq!(
        problem_field(verify(&stack, &first.token()).await).await.0,
        400,
        "the older link died"
    );
    // Resends do not pile up rows: the used and ended ones go at the next.
    for _ in 0..3 {
        let again = call(
            &stack,
            Method::POST,
            "/api/v1/auth/email/verify/resend",
            Some(&account.access),
            json!({}),
        )
        .await;
        assert_eq!(again.status(), 202);
    }
    assert!(
        stack
            .count(&stack.auth, "SELECT count(*) AS n FROM email_tokens")
            .await
            <= 2
    );
    let second = maildev::await_mails(&account.email, 5, MAIL_WITHIN)
        .await
        .remove(4);

    // The newest one, once expired, fails too.
    stack
        .count(
            &stack.auth,
            "WITH expired AS (UPDATE email_tokens SET expires_at = now() - interval '1 second' \
             WHERE used_at IS NULL RETURNING 1) SELECT count(*) AS n FROM expired",
        )
        .await;
    assert_eq!(
        problem_field(verify(&stack, &second.token()).await).await.0,
        400
    );
    let still: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(still["email_verified"], false);
}

#[tokio::test]
async fn a_reset_sets_the_password_ends_every_session_and_tells_the_owner() {
    let stack = stack().await;
    let account = verified(&stack, "forgetful").await;
    let other_session: Value = login(&stack, &account.username, PASSWORD)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        forgot(&stack, &account.email.to_uppercase()).await.status(),
        202
    );
    let mails = maildev::await_mails(&account.email, 2, MAIL_WITHIN).await;
    let first = &mails[1];
    assert_eq!(first.subject, "Reset your password");
    assert!(
        first
            .link()
            .starts_with("http://127.0.0.1:8080/reset-password?token=")
    );
    // The token left auth's outbox with the mail: no copy of it stays there.
    let in_outbox = format!(
        "SELECT count(*) AS n FROM outbox WHERE payload::text LIKE '%{}%'",
        first.token()
    );
    stack
        .eventually(
            Duration::from_secs(2),
            "the outbox forgets the mailed link",
            async || stack.count(&stack.auth, &in_outbox).await == 0,
        )
        .await;
    // A newer request ends the older link.
    assert_eq!(forgot(&stack, &account.email).await.status(), 202);
    let mails = maildev::await_mails(&account.email, 3, MAIL_WITHIN).await;
    let newest = mails[2].token();
    assert_eq!(
        problem_field(reset(&stack, &first.token(), "a brand new passphrase").await)
            .await
            .0,
        400
    );

    // A weak password is refused and uses nothing up.
    let (status, _, field) = problem_field(reset(&stack, &newest, "password").await).await;
    assert_eq!((status, field.as_str()), (400, "new_password"));
    let wrong_user = reset(&stack, &format!("{newest}x"), "a brand new passphrase").await;
    assert_eq!(wrong_user.status(), 400);

    let reset_at = Instant::now();
    assert_eq!(
        reset(&stack, &newest, "a brand new passphrase")
            .await
            .status(),
        204
    );
    assert_eq!(
        problem_field(reset(&stack, &newest, "another new passphrase").await)
            .await
            .0,
        400,
        "single use"
    );

    // Every session ended: access tokens within a second, refresh tokens at once.
    stack
        .eventually(
            Duration::from_secs(1),
            "the old access token fails at the edge",
            async || me(&stack, &account.access).await.status() == 401,
        )
        .await;
    let elapsed = reset_at.elapsed();
    for refresh in [
        account.refresh.as_str(),
        other_session["refresh_token"].as_str().unwrap(),
    ] {
        let refreshed = call(
            &stack,
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
        assert_eq!(refreshed.status(), 401);
    }
    assert_eq!(
        login(&stack, &account.username, PASSWORD).await.status(),
        401
    );
    assert_eq!(
        login(&stack, &account.email, "a brand new passphrase")
            .await
            .status(),
        200
    );

    let notice = &maildev::await_mails(&account.email, 4, MAIL_WITHIN).await[3];
    assert_eq!(notice.subject, "Your password was changed");
    assert!(!notice.text.contains("token"));
    println!("reset: old access token refused at the edge {elapsed:?} after the reset");
}

#[tokio::test]
async fn forgot_says_nothing_about_which_addresses_exist() {
    let stack = stack_with_auth(|config| {
        config.mail.max_per_client = 1_000;
        config.mail.max_per_address = 1_000;
    })
    .await;
    let known = verified(&stack, "known").await;
    let unverified = sign_up(&stack, "unverified").await;
    maildev::await_mails(&unverified.email, 1, MAIL_WITHIN).await;
    let (_, unknown) = fresh("nobody");

    let mut timings: [Vec<Duration>; 2] = [vec![], vec![]];
    let mut answers = vec![];
    for round in 0..50 {
        for (k, email) in [&known.email, &unknown].into_iter().enumerate() {
            let started = Instant::now();
            let response = forgot(&stack, email).await;
            timings[k].push(started.elapsed());
            if round == 0 {
                let status = response.status();
                let headers: Vec<String> = ["content-type", "content-length", "cache-control"]
                    .iter()
                    .map(|h| format!("{h}={:?}", response.headers().get(*h)))
                    .collect();
                answers.push((status, headers, response.bytes().await.unwrap()));
            }
        }
    }
    assert_eq!(answers[0], answers[1], "same status, headers and body");
    assert_eq!(answers[0].0, 202);
    for t in &mut timings {
        t.sort();
    }
    let medians = [percentile(&timings[0], 0.5), percentile(&timings[1], 0.5)];
    // Only the known, verified address gets mail; the unverified one none.
    maildev::await_mails(&known.email, 51, MAIL_WITHIN).await;
    assert_eq!(forgot(&stack, &unverified.email).await.status(), 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(maildev::inbox(&unknown).await.is_empty());
    assert_eq!(
        maildev::inbox(&unverified.email).await.len(),
        1,
        "the signup mail alone"
    );
    let gap = medians[0].abs_diff(medians[1]);
    println!(
        "forgot medians over 50: existing {:?}, unknown {:?}",
        medians[0], medians[1]
    );
    figures::record(
        "forgot-timing",
        json!({"requests_each": 50, "existing_median_ms": millis(medians[0]), "unknown_median_ms": millis(medians[1])}),
    );
    assert!(
        gap < Duration::from_millis(2) + medians[1] / 4,
        "medians {medians:?} differ"
    );
}

async fn stack_with_auth(adjust: impl FnOnce(&mut auth::Config) + 'static) -> Stack {
    Stack::start_options(Options {
        mailer: Some(SMTP_URL.to_owned()),
        auth: Some(Box::new(adjust)),
        gateway: Some(Box::new(|config: &mut gateway::Config| {
            config.anonymous.limit = 1_000_000_000;
            config.users.limit = 1_000_000_000;
        })),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn forgot_is_throttled_per_address_and_per_client() {
    let stack = stack_with_auth(|config| {
        config.mail.max_per_address = 2;
        config.mail.max_per_client = 3;
    })
    .await;
    let (_, first) = fresh("throttled");
    let (_, second) = fresh("throttled");
    assert_eq!(forgot(&stack, &first).await.status(), 202);
    assert_eq!(forgot(&stack, &first).await.status(), 202);
    let refused = forgot(&stack, &first).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        forgot(&stack, &second).await.status(),
        202,
        "another address has its own budget"
    );
    assert_eq!(
        forgot(&stack, &second).await.status(),
        429,
        "the client's budget is spent"
    );
    let (status, _, _) = problem_field(forgot(&stack, "not an address").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_email_change_is_confirmed_from_the_new_address_and_told_to_the_old() {
    let stack = stack().await;
    let account = verified(&stack, "mover").await;
    let rival = verified(&stack, "rival").await;
    let (_, new_email) = fresh("moved");
    let change = |email: String, password: &'static str| {
        let stack = &stack;
        let access = account.access.clone();
        async move {
            call(
                stack,
                Method::PUT,
                "/api/v1/users/me/email",
                Some(&access),
                json!({"new_email": email, "password": password}),
            )
            .await
        }
    };
    assert_eq!(
        change(new_email.clone(), "not my password").await.status(),
        403
    );
    assert_eq!(
        problem_field(change(account.email.clone(), PASSWORD).await)
            .await
            .0,
        400
    );
    assert_eq!(
        problem_field(change("nope".into(), PASSWORD).await).await.0,
        400
    );

    // A taken address gets the same answer as a free one until
    // confirmation; the confirmation mail goes to the address's owner, and
    // confirming it is a conflict that changes nothing.
    let to_taken = change(rival.email.clone(), PASSWORD).await;
    assert_eq!(to_taken.status(), 202);
    let to_taken = to_taken.bytes().await.unwrap();
    let to_rival = maildev::await_mails(&rival.email, 2, MAIL_WITHIN).await;
    let (status, _, field) = problem_field(verify(&stack, &to_rival[1].token()).await).await;
    assert_eq!((status, field.as_str()), (409, "email"));
    let rival_me: Value = me(&stack, &rival.access).await.json().await.unwrap();
    assert_eq!(rival_me["email"], rival.email.as_str());
    let mover_me: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(mover_me["email"], account.email.as_str());

    let to_free = change(new_email.clone(), PASSWORD).await;
    assert_eq!(to_free.status(), 202);
    assert_eq!(to_taken, to_free.bytes().await.unwrap());
    let confirm = maildev::await_mails(&new_email, 1, MAIL_WITHIN)
        .await
        .remove(0);
    assert_eq!(confirm.subject, "Confirm your new email address");
    let unchanged: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(
        unchanged["email"],
        account.email.as_str(),
        "nothing changes before confirmation"
    );
    assert_eq!(verify(&stack, &confirm.token()).await.status(), 204);
    let moved: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(moved["email"], new_email.as_str());
    assert_eq!(moved["email_verified"], true);
    assert_eq!(login(&stack, &new_email, PASSWORD).await.status(), 200);
    assert_eq!(login(&stack, &account.email, PASSWORD).await.status(), 401);
    let told = maildev::await_mails(&account.email, 2, MAIL_WITHIN).await;
    assert_eq!(told[1].subject, "Your email address was changed");
    assert_eq!(
        problem_field(verify(&stack, &confirm.token()).await)
            .await
            .0,
        400,
        "single use"
    );
}

fn notification(user: &str, to: &str, link: Option<&str>) -> (uuid::Uuid, Vec<u8>) {
    let id = uuid::Uuid::now_v7();
    let mut data = json!({"username": "replayed"});
    if let Some(link) = link {
        data["link"] = json!(link);
    }
    let body = json!({
        "event_id": id, "occurred_at": "2026-12-02T06:00:00Z", "user_id": user,
        "template": if link.is_some() { "password_reset" } else { "password_changed" },
        "to": to, "data": data,
    });
    (id, serde_json::to_vec(&body).unwrap())
}

#[tokio::test]
async fn one_event_delivered_twice_is_sent_once_and_unsendable_mail_is_dead_lettered() {
    let stack = stack().await;
    let user = format!("us_{}", uuid::Uuid::new_v4().simple());
    let (_, to) = fresh("twice");
    let (_, body) = notification(&user, &to, None);
    for _ in 0..2 {
        stack
            .publish_raw(
                "notification.requested.v1",
                "notification.requested.v1",
                &body,
            )
            .await;
    }
    maildev::await_mails(&to, 1, MAIL_WITHIN).await;
    stack
        .eventually(
            Duration::from_secs(5),
            "both deliveries were handled",
            async || stack.queue_depth("mailer.notification-requested").await == 0,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(maildev::inbox(&to).await.len(), 1, "sent once");
    assert_eq!(sends(&stack, "sent").await, 1);

    // A reset without its link cannot be rendered: dead-lettered, counted, not sent.
    let (_, broken) = fresh("broken");
    let (_, body) = notification(&user, &broken, None);
    let body = String::from_utf8(body)
        .unwrap()
        .replace("password_changed", "password_reset");
    stack
        .publish_raw(
            "notification.requested.v1",
            "notification.requested.v1",
            body.as_bytes(),
        )
        .await;
    stack
        .eventually(
            Duration::from_secs(10),
            "the broken mail is dead-lettered",
            async || stack.queue_depth("mailer.notification-requested.dlq").await == 1,
        )
        .await;
    assert_eq!(sends(&stack, "unrenderable").await, 1);
    assert!(maildev::inbox(&broken).await.is_empty());
    let metrics = stack
        .client
        .get(format!(
            "{}/metrics",
            stack.mailer.as_ref().unwrap().admin_url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l.contains("dead_letter")
            && l.contains("mailer.notification-requested")
            && l.ends_with(" 1")),
        "the dead letter is counted:\n{metrics}"
    );
}

#[tokio::test]
async fn mail_asked_for_while_smtp_is_down_arrives_once_when_it_is_back() {
    let proxy = Proxy::start(SMTP_ADDR.parse().unwrap()).await;
    let stack = stack_sending_to(format!("smtp://{}", proxy.addr)).await;
    let account = verified(&stack, "patient").await;

    proxy.cut();
    let asked = Instant::now();
    assert_eq!(forgot(&stack, &account.email).await.status(), 202);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        maildev::inbox(&account.email).await.len(),
        1,
        "nothing gets through while SMTP is down"
    );
    assert_eq!(sends(&stack, "sending").await, 1, "the mail waits, claimed");
    proxy.restore();
    let restored = Instant::now();
    let mails = maildev::await_mails(&account.email, 2, MAIL_WITHIN).await;
    let after_restore = restored.elapsed();
    assert_eq!(mails[1].subject, "Reset your password");
    assert_eq!(
        reset(&stack, &mails[1].token(), "patience pays off 2026")
            .await
            .status(),
        204
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = maildev::inbox(&account.email).await;
    assert_eq!(mails.len(), 3, "the reset mail once, then the notice");
    println!(
        "smtp outage: asked {:?} before the restore; delivered {after_restore:?} after it",
        restored - asked
    );
}

#[tokio::test]
async fn a_deleted_account_has_its_send_log_erased_by_the_mailer() {
    let stack = stack().await;
    let account = verified(&stack, "leaving").await;
    assert_eq!(sends(&stack, "sent").await, 1);
    let user: Value = me(&stack, &account.access).await.json().await.unwrap();
    let deleted = call(
        &stack,
        Method::DELETE,
        "/api/v1/users/me",
        Some(&account.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(deleted.status(), 202);
    let mailer = stack.mailer.as_ref().unwrap();
    stack
        .eventually(
            Duration::from_secs(10),
            "the mailer erased the send log",
            async || stack.count(mailer, "SELECT count(*) AS n FROM sends").await == 0,
        )
        .await;
    let id = user["id"].as_str().unwrap();
    stack
        .eventually(Duration::from_secs(10), "auth recorded the mailer's erasure", async || {
            stack
                .count(&stack.auth, &format!("SELECT count(*) AS n FROM erasures WHERE user_id = '{id}' AND service = 'mailer'"))
                .await
                == 1
        })
        .await;
}

/// Waits while the current 30-second TOTP step is about to end, so the
/// test's "now" and the server's are the same step.
async fn mid_step() -> i64 {
    loop {
        let now = chrono::Utc::now().timestamp();
        if now.rem_euclid(30) < 25 {
            return auth::totp::step_at(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn code_at(secret: &[u8], step: i64) -> String {
    auth::totp::format(auth::totp::code(secret, step))
}

/// Enrols `account` in TOTP; returns the secret.
async fn enrol(stack: &Stack, account: &Account) -> Vec<u8> {
    let enrolled = call(
        stack,
        Method::POST,
        "/api/v1/auth/mfa/totp",
        Some(&account.access),
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(enrolled.status(), 201);
    assert_eq!(enrolled.headers()["cache-control"], "no-store");
    let body: Value = enrolled.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap();
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Gridlink%3A{}?secret={secret}&issuer=Gridlink&algorithm=SHA1&digits=6&period=30",
            account.username
        )
    );
    let svg = body["qr_svg"].as_str().unwrap();
    assert_eq!(
        gridlink_e2e::qr::decoded(svg.as_bytes(), "svg"),
        uri,
        "the QR code is the URI"
    );
    auth::totp::from_base32(secret).unwrap()
}

async fn confirm(stack: &Stack, account: &Account, code: &str) -> reqwest::Response {
    call(
        stack,
        Method::POST,
        "/api/v1/auth/mfa/totp/confirm",
        Some(&account.access),
        json!({"code": code}),
    )
    .await
}

async fn second_step(stack: &Stack, mfa_token: &str, factor: Value) -> reqwest::Response {
    let mut body = factor;
    body["mfa_token"] = json!(mfa_token);
    call(stack, Method::POST, "/api/v1/auth/login/mfa", None, body).await
}

/// A login's first step for an account with TOTP on: its `mfa_token`.
async fn first_step(stack: &Stack, account: &Account) -> String {
    let response = login(stack, &account.username, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    assert_eq!(body["expires_in"], 300);
    body["mfa_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn totp_logins_take_drift_refuse_replays_and_fall_back_on_recovery_codes() {
    let stack = stack().await;
    let account = verified(&stack, "twofactor").await;
    let wrong = call(
        &stack,
        Method::POST,
        "/api/v1/auth/mfa/totp",
        Some(&account.access),
        json!({"password": "wrong"}),
    )
    .await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        problem_field(confirm(&stack, &account, "123456").await)
            .await
            .0,
        409,
        "nothing enrolled"
    );
    let secret = enrol(&stack, &account).await;
    // Not on before it is confirmed.
    let unconfirmed: Value = login(&stack, &account.username, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(unconfirmed["access_token"].is_string());

    let now = mid_step().await;
    let bad = if code_at(&secret, now) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, _, field) = problem_field(confirm(&stack, &account, bad).await).await;
    assert_eq!((status, field.as_str()), (400, "code"));
    // A clock 30 s behind.
    let confirmed = confirm(&stack, &account, &code_at(&secret, now - 1)).await;
    assert_eq!(confirmed.status(), 200);
    let codes: Vec<String> = confirmed.json::<Value>().await.unwrap()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    let me_now: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(me_now["mfa_enabled"], true);
    assert_eq!(
        problem_field(confirm(&stack, &account, &code_at(&secret, now)).await)
            .await
            .0,
        409
    );
    let stored = stack
        .count(&stack.auth, &format!(
            "SELECT count(*) AS n FROM totp_secrets WHERE position(convert_to('{}', 'UTF8') IN secret_sealed) > 0 \
             OR position(decode('{}', 'hex') IN secret_sealed) > 0",
            auth::totp::base32(&secret),
            secret.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ))
        .await;
    assert_eq!(stored, 0, "the secret is sealed at rest");

    // A clock 30 s ahead; then the same code again is a replay.
    let token = first_step(&stack, &account).await;
    let ahead = code_at(&secret, now + 1);
    let passed = second_step(&stack, &token, json!({"code": ahead})).await;
    assert_eq!(passed.status(), 200);
    let passed: Value = passed.json().await.unwrap();
    assert!(passed["access_token"].is_string());
    assert!(passed["device_token"].is_string());
    assert_eq!(
        me(&stack, passed["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let token = first_step(&stack, &account).await;
    for refused in [
        json!({"code": ahead}),
        json!({"code": code_at(&secret, now + 3)}),
        json!({"code": "12345"}),
    ] {
        let response = second_step(&stack, &token, refused.clone()).await;
        assert_eq!(response.status(), 401, "{refused}");
    }
    for malformed in [json!({}), json!({"code": ahead, "recovery_code": codes[0]})] {
        assert_eq!(second_step(&stack, &token, malformed).await.status(), 400);
    }
    assert_eq!(
        second_step(&stack, "not a token", json!({"code": ahead}))
            .await
            .status(),
        401
    );

    // Recovery codes: each once, typed any way.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let recovered = second_step(&stack, &token, json!({"recovery_code": typed})).await;
    assert_eq!(recovered.status(), 200);
    assert_eq!(
        second_step(&stack, &token, json!({"recovery_code": codes[1]}))
            .await
            .status(),
        401,
        "an mfa_token works once"
    );
    let token = first_step(&stack, &account).await;
    assert_eq!(
        second_step(&stack, &token, json!({"recovery_code": codes[0]}))
            .await
            .status(),
        401,
        "used"
    );
    assert_eq!(
        second_step(&stack, &token, json!({"recovery_code": codes[1]}))
            .await
            .status(),
        200
    );

    // An expired mfa_token fails even with a right code.
    let token = first_step(&stack, &account).await;
    stack
        .count(&stack.auth, "WITH e AS (UPDATE mfa_challenges SET expires_at = now() - interval '1 second' RETURNING 1) SELECT count(*) AS n FROM e")
        .await;
    assert_eq!(
        second_step(&stack, &token, json!({"recovery_code": codes[2]}))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_turning_totp_off_needs_password_and_code() {
    let stack =
        stack_with_auth(|config| config.throttle.max_failures_per_account_address = 4).await;
    let account = verified(&stack, "lockedout").await;
    let secret = enrol(&stack, &account).await;
    let now = mid_step().await;
    assert_eq!(
        confirm(&stack, &account, &code_at(&secret, now - 1))
            .await
            .status(),
        200
    );

    let wrong = if code_at(&secret, now) == "999999" {
        "888888"
    } else {
        "999999"
    };
    let token = first_step(&stack, &account).await;
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(
            second_step(&stack, &token, json!({"code": wrong}))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
    let refused = second_step(&stack, &token, json!({"code": code_at(&secret, now)})).await;
    assert_eq!(
        refused.status(),
        429,
        "a spent budget refuses even the right code"
    );
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["type"].as_str().unwrap().ends_with("/login-throttled"),
        "{body}"
    );
    stack
        .count(
            &stack.auth,
            "WITH c AS (DELETE FROM login_throttle RETURNING 1) SELECT count(*) AS n FROM c",
        )
        .await;

    let off = |password: &'static str, code: String| {
        let (stack, access) = (&stack, account.access.clone());
        async move {
            call(
                stack,
                Method::DELETE,
                "/api/v1/auth/mfa/totp",
                Some(&access),
                json!({"password": password, "code": code}),
            )
            .await
        }
    };
    assert_eq!(
        off("wrong password", code_at(&secret, now)).await.status(),
        403
    );
    assert_eq!(off(PASSWORD, wrong.to_owned()).await.status(), 403);
    assert_eq!(off(PASSWORD, code_at(&secret, now)).await.status(), 204);
    let me_now: Value = me(&stack, &account.access).await.json().await.unwrap();
    assert_eq!(me_now["mfa_enabled"], false);
    let plain: Value = login(&stack, &account.username, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        plain["access_token"].is_string(),
        "logins take the password alone again"
    );
    assert_eq!(off(PASSWORD, code_at(&secret, now)).await.status(), 409);
    assert_eq!(
        stack
            .count(&stack.auth, "SELECT count(*) AS n FROM recovery_codes")
            .await,
        0
    );
}

/// Signs `n` accounts up (at most `concurrency` at once); each signup mails
/// a verification. Returns each address with the moment its signup was
/// answered.
async fn signups(
    stack: &Stack,
    prefix: &str,
    n: usize,
    concurrency: usize,
) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let runs = (0..n).map(|k| {
        let semaphore = semaphore.clone();
        async move {
            let _permit = semaphore.acquire().await.unwrap();
            let account = sign_up(stack, &format!("{prefix}{k}")).await;
            (account.email, chrono::Utc::now())
        }
    });
    futures_util::future::join_all(runs).await
}

/// When the mailer had each address's mail accepted by the SMTP server
/// (its send log's `done_at`), by recipient.
async fn accepted_at(
    stack: &Stack,
) -> std::collections::HashMap<String, chrono::DateTime<chrono::Utc>> {
    #[derive(diesel::QueryableByName)]
    struct Sent {
        #[diesel(sql_type = diesel::sql_types::Text)]
        recipient: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        done_at: chrono::DateTime<chrono::Utc>,
    }
    use diesel_async::RunQueryDsl;
    let db = stack.mailer.as_ref().unwrap().db.as_ref().unwrap();
    let mut conn = gridlink_db::connect(&db.url).await.unwrap();
    let rows: Vec<Sent> =
        diesel::sql_query("SELECT recipient, done_at FROM sends WHERE status = 'sent'")
            .load(&mut conn)
            .await
            .unwrap();
    rows.into_iter().map(|r| (r.recipient, r.done_at)).collect()
}

#[tokio::test]
async fn mail_latency_and_a_minute_without_smtp_lose_and_duplicate_nothing() {
    let proxy = Proxy::start(SMTP_ADDR.parse().unwrap()).await;
    let stack = stack_sending_to(format!("smtp://{}", proxy.addr)).await;

    // Latency: from the signup's answer to the SMTP server's acceptance,
    // which the mailer records (polling MailDev would time the polling).
    let answered = signups(&stack, "timed", 200, 4).await;
    stack
        .eventually(Duration::from_secs(60), "200 mails sent", async || {
            sends(&stack, "sent").await == 200
        })
        .await;
    let accepted = accepted_at(&stack).await;
    let mut latencies: Vec<Duration> = answered
        .iter()
        .map(|(email, at)| (accepted[email] - *at).to_std().unwrap_or_default())
        .collect();
    latencies.sort();
    for (email, _) in &answered {
        assert_eq!(maildev::inbox(email).await.len(), 1, "{email}");
    }
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    println!("mail latency over 200 signups: p50 {p50:?}, p99 {p99:?}");

    // A minute without the SMTP server, while 30 accounts sign up.
    proxy.cut();
    let cut = Instant::now();
    let mut waiting = vec![];
    for k in 0..30 {
        waiting.push(sign_up(&stack, &format!("outage{k}")).await.email);
    }
    tokio::time::sleep(Duration::from_secs(60).saturating_sub(cut.elapsed())).await;
    let mut delivered_during = 0;
    for email in &waiting {
        delivered_during += maildev::inbox(email).await.len();
    }
    assert_eq!(delivered_during, 0, "nothing passes a cut SMTP server");
    proxy.restore();
    let restored = Instant::now();
    for email in &waiting {
        maildev::await_mails(email, 1, Duration::from_secs(60)).await;
    }
    let drained = restored.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut lost, mut duplicated) = (0, 0);
    for email in &waiting {
        match maildev::inbox(email).await.len() {
            0 => lost += 1,
            1 => {}
            n => duplicated += n - 1,
        }
    }
    println!(
        "smtp outage of {:?}: {} mails asked for, lost {lost}, duplicated {duplicated}, all delivered {drained:?} after the restore",
        restored - cut,
        waiting.len()
    );
    figures::record(
        "mail",
        json!({
            "latency_mails": latencies.len(), "latency_p50_ms": millis(p50), "latency_p99_ms": millis(p99),
            "outage_s": (restored - cut).as_secs(), "outage_mails": waiting.len(),
            "lost": lost, "duplicated": duplicated, "drained_after_restore_ms": millis(drained),
        }),
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert_eq!(sends(&stack, "sent").await, 230);
}
