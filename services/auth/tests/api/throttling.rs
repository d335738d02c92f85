use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app_with};

#[tokio::test]
async fn repeated_failures_on_one_account_are_throttled_with_retry_after() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 3).await;
    app.signup("eve").await;
    for _ in 0..3 {
        problem(app.login("eve", "wrong password").await, 401).await;
    }
    let throttled = app.login("eve", "wrong password").await;
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900);
    problem(throttled, 429).await;
    // The right password does not get through either while throttled, and the
    // same holds when logging in by email.
    problem(app.login("eve", PASSWORD).await, 429).await;
    problem(app.login("eve@example.com", PASSWORD).await, 429).await;
}

#[tokio::test]
async fn the_throttle_window_ends_and_success_resets_the_count() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 3).await;
    app.signup("finn").await;
    for _ in 0..2 {
        app.login("finn", "wrong password").await;
    }
    assert_eq!(app.login("finn", PASSWORD).await.status(), 200);
    for _ in 0..2 {
        problem(app.login("finn", "wrong password").await, 401).await;
    }
    assert_eq!(
        app.login("finn", PASSWORD).await.status(),
        200,
        "the count restarted"
    );

    for _ in 0..3 {
        app.login("finn", "wrong password").await;
    }
    problem(app.login("finn", PASSWORD).await, 429).await;
    app.sql("UPDATE login_throttle SET window_started_at = now() - interval '1 hour'")
        .await;
    assert_eq!(
        app.login("finn", PASSWORD).await.status(),
        200,
        "the window ended"
    );
}

/// Guesses sent all at once must not all be checked because none of them had
/// failed yet: the count is reserved before the password is checked.
#[tokio::test]
async fn parallel_guesses_get_no_more_checks_than_the_limit() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 5).await;
    app.signup("gale").await;
    let guesses = (0..40).map(|_| app.login("gale", "wrong password"));
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((checked, throttled), (5, 35), "{statuses:?}");
}

#[tokio::test]
async fn unknown_accounts_are_throttled_like_known_ones() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 2).await;
    for _ in 0..2 {
        problem(app.login("ghost", "wrong password").await, 401).await;
    }
    problem(app.login("ghost", "wrong password").await, 429).await;
}

#[tokio::test]
async fn one_client_spraying_many_accounts_is_throttled_per_ip() {
    let app = spawn_app_with(|c| {
        c.throttle.max_failures_per_account_address = 100;
        c.throttle.max_failures_per_ip = 4;
    })
    .await;
    app.signup("hank").await;
    let login_from = |ip: &'static str, login: String, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
    };
    for i in 0..4 {
        let response = login_from("198.51.100.7", format!("user{i}"), "wrong password")
            .await
            .unwrap();
        problem(response, 401).await;
    }
    let blocked = login_from("198.51.100.7", "hank".into(), PASSWORD)
        .await
        .unwrap();
    problem(blocked, 429).await;
    // Another client (as told by the trusted proxy) is not affected.
    let other = login_from("203.0.113.20", "hank".into(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn counters_live_in_the_database_so_replicas_share_them() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 3).await;
    app.signup("iris").await;
    for _ in 0..3 {
        app.login("iris", "wrong password").await;
    }
    // A second replica on the same database sees the same counters.
    let config = app.config.clone();
    let replica = auth::build(config).await.unwrap();
    let url = format!("http://127.0.0.1:{}/api/v1/auth/login", replica.port());
    tokio::spawn(replica.run_until_stopped());
    let response = app
        .client
        .post(url)
        .json(&serde_json::json!({"login": "iris", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(response, 429).await;
}

/// A login from `ip` (as the trusted proxy tells it), with a device token
/// when given.
async fn login_from(
    app: &TestApp,
    ip: &str,
    login: &str,
    password: &str,
    device_token: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"login": login, "password": password});
    if let Some(token) = device_token {
        body["device_token"] = json!(token);
    }
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn failures(app: &TestApp, key_prefix: &str) -> i64 {
    app.count(&format!(
        "SELECT coalesce(sum(failures), 0)::bigint AS n FROM login_throttle WHERE key LIKE '{key_prefix}%'"
    ))
    .await
}

#[tokio::test]
async fn refused_attempts_count_nothing_and_say_which_limit_applies() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 3).await;
    app.signup("ivy").await;
    for _ in 0..3 {
        problem(app.login("ivy", "wrong password").await, 401).await;
    }
    for _ in 0..10 {
        let body = problem(app.login("ivy", "wrong password").await, 429).await;
        assert_eq!(
            body["type"],
            "https://gridlink.dev/problems/login-throttled"
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("from your address"),
            "{body}"
        );
    }
    assert_eq!(
        failures(&app, "account-address:").await,
        3,
        "429s counted nothing"
    );
    assert_eq!(failures(&app, "account:").await, 3);
    assert_eq!(failures(&app, "address:").await, 3);
}

#[tokio::test]
async fn right_passwords_never_spend_the_address_so_nobody_behind_it_is_locked_out() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_ip = 3).await;
    let office = "198.51.100.50";
    let colleagues = ["jade", "joel", "june"];
    for name in colleagues {
        app.signup(name).await;
    }
    // A burst of right logins from the office's one address, all at once.
    let logins = (0..30).map(|i| login_from(&app, office, colleagues[i % 3], PASSWORD, None));
    let statuses: Vec<u16> = futures_util::future::join_all(logins)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(failures(&app, "address:").await, 0);
    // Two typos stay under the address's budget; the others still get in.
    for _ in 0..2 {
        problem(login_from(&app, office, "jade", "typo", None).await, 401).await;
    }
    assert_eq!(
        login_from(&app, office, "joel", PASSWORD, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_strangers_failures_do_not_refuse_the_owner_from_another_address() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account_address = 3).await;
    app.signup("kai").await;
    for _ in 0..3 {
        problem(
            login_from(&app, "203.0.113.66", "kai", "guess", None).await,
            401,
        )
        .await;
    }
    problem(
        login_from(&app, "203.0.113.66", "kai", PASSWORD, None).await,
        429,
    )
    .await;
    let owner = login_from(&app, "198.51.100.8", "kai", PASSWORD, None).await;
    assert_eq!(
        owner.status(),
        200,
        "the owner's own address is not throttled"
    );
}

#[tokio::test]
async fn a_distributed_guess_is_bounded_per_account_and_the_owner_gets_in_from_a_known_device() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 5).await;
    app.signup("lena").await;
    let first: Value = login_from(&app, "198.51.100.9", "lena", PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let device = first["device_token"].as_str().unwrap().to_owned();
    assert!(device.len() >= 40, "a device token: {first}");
    assert_eq!(first["user"]["username"], "lena", "login returns the user");

    let guesses = (0..40).map(|i| {
        let ip = format!("192.0.2.{}", i + 1);
        let app = &app;
        async move {
            login_from(app, &ip, "lena", "guess", None)
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    assert_eq!(
        checked, 5,
        "passwords checked for the account: {statuses:?}"
    );
    assert!(statuses.iter().all(|&s| s == 401 || s == 429));

    // A new device must wait; the known one is judged by its own budget.
    let new_device = login_from(&app, "198.51.100.10", "lena", PASSWORD, None).await;
    let body = problem(new_device, 429).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("device you used before")
    );
    let known = login_from(&app, "198.51.100.10", "lena", PASSWORD, Some(&device)).await;
    assert_eq!(known.status(), 200);
    let renewed: Value = known.json().await.unwrap();
    assert_ne!(
        renewed["device_token"], first["device_token"],
        "device tokens rotate"
    );
    // A device token is the account's own: another account's login ignores it.
    app.signup("moe").await;
    for _ in 0..5 {
        login_from(&app, &format!("192.0.2.{}", 100), "moe", "guess", None).await;
    }
    let borrowed = login_from(
        &app,
        "192.0.2.101",
        "moe",
        PASSWORD,
        renewed["device_token"].as_str(),
    )
    .await;
    problem(borrowed, 429).await;
}

#[tokio::test]
async fn a_known_device_has_a_small_budget_of_its_own() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_device = 2).await;
    app.signup("nia").await;
    let first: Value = app.login("nia", PASSWORD).await.json().await.unwrap();
    let device = first["device_token"].as_str().unwrap();
    for _ in 0..2 {
        problem(
            login_from(&app, "198.51.100.11", "nia", "oops", Some(device)).await,
            401,
        )
        .await;
    }
    let body = problem(
        login_from(&app, "198.51.100.11", "nia", PASSWORD, Some(device)).await,
        429,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("this device"));
    // Without it, the ordinary budgets apply and are untouched.
    assert_eq!(
        login_from(&app, "198.51.100.11", "nia", PASSWORD, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn strangers_failing_to_log_in_never_block_the_owners_signed_in_actions() {
    let app = spawn_app_with(|c| {
        c.throttle.max_failures_per_account = 3;
        c.throttle.max_failures_reauthentication = 2;
    })
    .await;
    let owner = app.signup("omar").await;
    for i in 0..10 {
        login_from(&app, &format!("192.0.2.{}", i + 1), "omar", "guess", None).await;
    }
    let change = |current: &'static str| {
        let body =
            json!({"current_password": current, "new_password": "an entirely new passphrase"});
        let (app, token) = (&app, &owner.access_token);
        async move {
            app.send(
                reqwest::Method::PUT,
                "/api/v1/users/me/password",
                token,
                &body,
            )
            .await
        }
    };
    // Their own wrong passwords are throttled per user...
    for _ in 0..2 {
        problem(change("not it").await, 403).await;
    }
    let body = problem(change(PASSWORD).await, 429).await;
    assert_eq!(
        body["type"],
        "https://gridlink.dev/problems/login-throttled"
    );
    // ...and with that budget back, the strangers' failures stop nothing.
    app.sql("DELETE FROM login_throttle WHERE key LIKE 'reauth:%'")
        .await;
    assert_eq!(change(PASSWORD).await.status(), 200);
}
