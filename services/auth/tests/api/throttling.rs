use crate::helpers::{PASSWORD, problem, spawn_app_with};

#[tokio::test]
async fn repeated_failures_on_one_account_are_throttled_with_retry_after() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 3).await;
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
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 3).await;
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
/// failed yet: the count is spent before the password is checked.
#[tokio::test]
async fn parallel_guesses_get_no_more_checks_than_the_limit() {
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 5).await;
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
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 2).await;
    for _ in 0..2 {
        problem(app.login("ghost", "wrong password").await, 401).await;
    }
    problem(app.login("ghost", "wrong password").await, 429).await;
}

#[tokio::test]
async fn one_client_spraying_many_accounts_is_throttled_per_ip() {
    let app = spawn_app_with(|c| {
        c.throttle.max_failures_per_account = 100;
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
    let app = spawn_app_with(|c| c.throttle.max_failures_per_account = 3).await;
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
