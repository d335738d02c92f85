//! Abuse: forged tokens, other people's objects, forbidden fields, password
//! guessing from many addresses, and hostile request shapes. Each test counts
//! what was accepted that should not have been (it must be 0) and records its
//! figures in target/reliability/.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use gridlink_e2e::figures;
use gridlink_e2e::stack::Stack;
use gridlink_test_support::{PASSWORD, User, signup};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Every forgery of an access token for `user`, by name. Each would be
/// accepted by a verifier that trusted the token's own say-so.
fn forgeries(
    stack: &Stack,
    user: &User,
    genuine: &str,
    jwks: &Value,
) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "gridlink-auth", "aud": "gridlink", "sub": user.id,
                        "iat": now, "exp": now + 600, "jti": "forged"});
    let key = EncodingKey::from_ed_pem(stack.signing_pem.as_bytes()).unwrap();
    let header = |kid: &str| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(kid.into());
        header
    };
    let sign =
        |header: Header, claims: &Value| jsonwebtoken::encode(&header, claims, &key).unwrap();
    let with = |field: &str, value: Value| {
        let mut claims = claims.clone();
        claims[field] = value;
        sign(header("test-key"), &claims)
    };
    let attacker = EncodingKey::from_ed_pem(auth::generate_pem().unwrap().as_bytes()).unwrap();
    let by_attacker = |header: Header| jsonwebtoken::encode(&header, &claims, &attacker).unwrap();
    let parts: Vec<&str> = genuine.split('.').collect();
    let none = b64(&json!({"alg": "none", "typ": "at+jwt", "kid": "test-key"}));

    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.typ = Some("at+jwt".into());
    hs256.kid = Some("test-key".into());
    // The HMAC secret an algorithm-confusion attack uses: the public key.
    let public_key = jwks["keys"][0]["x"]
        .as_str()
        .expect("the JWKS publishes the key");
    let mut jku = header("test-key");
    jku.jku = Some("http://127.0.0.1:1/attacker-jwks.json".into());
    let mut x5u = header("test-key");
    x5u.x5u = Some("http://127.0.0.1:1/attacker.pem".into());
    let mut typ_jwt = header("test-key");
    typ_jwt.typ = Some("JWT".into());

    vec![
        ("alg none", format!("{none}.{}.", b64(&claims))),
        (
            "alg none, signature kept",
            format!("{none}.{}.{}", b64(&claims), parts[2]),
        ),
        (
            "HS256 keyed with the public key",
            jsonwebtoken::encode(
                &hs256,
                &claims,
                &EncodingKey::from_secret(public_key.as_bytes()),
            )
            .unwrap(),
        ),
        ("wrong aud", with("aud", json!("someone-else"))),
        ("wrong iss", with("iss", json!("evil"))),
        ("typ JWT", sign(typ_jwt, &claims)),
        ("expired", with("exp", json!(now - 60))),
        ("nbf in the future", with("nbf", json!(now + 3600))),
        ("unknown kid", sign(header("no-such-key"), &claims)),
        (
            "kid path injection",
            sign(header("../../../../dev/null"), &claims),
        ),
        ("kid SQL injection", sign(header("x' OR '1'='1"), &claims)),
        ("attacker key, real kid", by_attacker(header("test-key"))),
        ("attacker key behind jku", by_attacker(jku)),
        ("attacker key behind x5u", by_attacker(x5u)),
        (
            "claims swapped under a genuine signature",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&with_sub(&claims, "us_someoneelse")),
                parts[2]
            ),
        ),
    ]
}

fn with_sub(claims: &Value, sub: &str) -> Value {
    let mut claims = claims.clone();
    claims["sub"] = json!(sub);
    claims
}

#[tokio::test]
async fn forged_tokens_are_refused_at_the_gateway_and_at_every_service() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    // A grid for the write attempts to aim at.
    let grid = stack
        .request(
            &stack.grids.url,
            Method::POST,
            "/api/v1/grids",
            Some(&alice.access_token),
            Some(&json!({"title": "mine"})),
        )
        .await;
    assert_eq!(grid.status(), 201);
    let grid: Value = grid.json().await.unwrap();
    let slug = grid["slug"].as_str().unwrap().to_owned();

    let targets: Vec<(&str, String, Method, String, Option<Value>)> = vec![
        (
            "gateway",
            stack.edge().to_owned(),
            Method::GET,
            "/api/v1/users/me".into(),
            None,
        ),
        (
            "gateway",
            stack.edge().to_owned(),
            Method::PATCH,
            format!("/api/v1/grids/{slug}"),
            Some(json!({"title": "taken over"})),
        ),
        (
            "auth",
            stack.auth.url.clone(),
            Method::GET,
            "/api/v1/users/me".into(),
            None,
        ),
        (
            "grids",
            stack.grids.url.clone(),
            Method::GET,
            "/api/v1/grids?owner=me".into(),
            None,
        ),
        (
            "grids",
            stack.grids.url.clone(),
            Method::PATCH,
            format!("/api/v1/grids/{slug}"),
            Some(json!({"title": "taken over"})),
        ),
        (
            "links",
            stack.links.url.clone(),
            Method::GET,
            "/api/v1/links?q=anything".into(),
            None,
        ),
        (
            "links",
            stack.links.url.clone(),
            Method::POST,
            "/api/v1/links".into(),
            Some(json!({"grid": slug, "title": "planted", "url": "https://evil.example"})),
        ),
    ];
    let jwks: Value = stack
        .request(
            &stack.auth.url,
            Method::GET,
            "/api/v1/auth/jwks.json",
            None,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let forged = forgeries(&stack, &alice, &alice.access_token, &jwks);
    let (mut attempts, mut accepted) = (0, Vec::new());
    for (service, base, method, path, body) in &targets {
        // Control: the genuine token works here, so a refusal below means something.
        let genuine = stack
            .request(
                base,
                method.clone(),
                path,
                Some(&alice.access_token),
                body.as_ref(),
            )
            .await;
        assert!(
            genuine.status().is_success(),
            "{service} {method} {path}: {}",
            genuine.status()
        );
        for (name, token) in &forged {
            attempts += 1;
            let response = stack
                .request(base, method.clone(), path, Some(token), body.as_ref())
                .await;
            if response.status() != StatusCode::UNAUTHORIZED {
                accepted.push(format!(
                    "{service} {method} {path}: {name} → {}",
                    response.status()
                ));
            }
        }
    }
    figures::record(
        "abuse-forged-tokens",
        json!({
            "forgeries": forged.len(), "targets": targets.len(), "attempts": attempts,
            "accepted_when_it_should_not": accepted.len(),
        }),
    );
    assert!(accepted.is_empty(), "forged tokens accepted: {accepted:#?}");
}

#[tokio::test]
async fn nobody_can_touch_another_users_objects_or_forbidden_fields() {
    let stack = Stack::with_gateway(|_| {}).await;
    let edge = stack.edge().to_owned();
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let bob = signup(&stack.client, &stack.auth.url, "bob").await;
    let as_alice = |method: Method, path: String, body: Option<Value>| {
        let (stack, edge, token) = (&stack, edge.clone(), alice.access_token.clone());
        async move {
            stack
                .request(&edge, method, &path, Some(&token), body.as_ref())
                .await
        }
    };
    let private = as_alice(
        Method::POST,
        "/api/v1/grids".into(),
        Some(json!({"title": "secret", "visibility": "private"})),
    )
    .await;
    let private: Value = private.json().await.unwrap();
    let public = as_alice(
        Method::POST,
        "/api/v1/grids".into(),
        Some(json!({"title": "shown"})),
    )
    .await;
    let public: Value = public.json().await.unwrap();
    let (private, public) = (
        private["slug"].as_str().unwrap(),
        public["slug"].as_str().unwrap(),
    );
    let link = as_alice(
        Method::POST,
        "/api/v1/links".into(),
        Some(json!({"grid": public, "title": "a", "url": "https://a.example"})),
    )
    .await;
    let link: Value = link.json().await.unwrap();
    let hidden = as_alice(
        Method::POST,
        "/api/v1/links".into(),
        Some(json!({"grid": private, "title": "h", "url": "https://h.example"})),
    )
    .await;
    let hidden: Value = hidden.json().await.unwrap();
    let (link, hidden) = (
        link["slug"].as_str().unwrap(),
        hidden["slug"].as_str().unwrap(),
    );

    // Every object route and verb, by slug, as Bob against Alice's objects.
    let matrix: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/grids/{private}"), None),
        (
            Method::PATCH,
            format!("/api/v1/grids/{private}"),
            Some(json!({"title": "mine now"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/grids/{public}"),
            Some(json!({"visibility": "private"})),
        ),
        (Method::DELETE, format!("/api/v1/grids/{private}"), None),
        (Method::DELETE, format!("/api/v1/grids/{public}"), None),
        (Method::GET, format!("/api/v1/links/{hidden}"), None),
        (Method::GET, format!("/api/v1/links?grid={private}"), None),
        (
            Method::PATCH,
            format!("/api/v1/links/{link}"),
            Some(json!({"url": "https://evil.example"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/links/{hidden}"),
            Some(json!({"title": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/links/{link}"), None),
        (Method::DELETE, format!("/api/v1/links/{hidden}"), None),
        (
            Method::POST,
            "/api/v1/links".into(),
            Some(json!({"grid": public, "title": "planted", "url": "https://evil.example"})),
        ),
        (
            Method::PUT,
            "/api/v1/links/order".into(),
            Some(json!({"grid": public, "links": [link]})),
        ),
    ];
    let mut cross_user_successes = Vec::new();
    for (method, path, body) in &matrix {
        let response = stack
            .request(
                &edge,
                method.clone(),
                path,
                Some(&bob.access_token),
                body.as_ref(),
            )
            .await;
        let status = response.status();
        if status.is_success() {
            cross_user_successes.push(format!("{method} {path} → {status}"));
        }
        assert!(status.is_client_error(), "{method} {path} → {status}");
    }
    // Listings show Bob nothing private of Alice's.
    let listed: Value = stack
        .request(
            &edge,
            Method::GET,
            &format!("/api/v1/grids?owner={}", alice.id),
            Some(&bob.access_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let leaked = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["slug"] == private)
        .count();
    let searched: Value = stack
        .request(
            &edge,
            Method::GET,
            "/api/v1/links?q=h",
            Some(&bob.access_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let leaked = leaked + searched["items"].as_array().unwrap().len();

    // Mass assignment: fields nobody may set, in create and update bodies.
    let forbidden = json!({"owner": alice.id, "id": 1, "is_deleted": true,
                           "created_on": "2000-01-01T00:00:00Z", "slug": "gr_0123456789abcdef0123456789abcdef"});
    let mut persisted = Vec::new();
    let mut body = json!({"title": "bob's"});
    body.as_object_mut()
        .unwrap()
        .extend(forbidden.as_object().unwrap().clone());
    let created = stack
        .request(
            &edge,
            Method::POST,
            "/api/v1/grids",
            Some(&bob.access_token),
            Some(&body),
        )
        .await;
    assert_eq!(
        created.status(),
        400,
        "unknown fields are refused, not ignored"
    );
    for (field, value) in forbidden.as_object().unwrap() {
        let patch = json!({field: value});
        let response = stack
            .request(
                &edge,
                Method::PATCH,
                &format!("/api/v1/grids/{public}"),
                Some(&alice.access_token),
                Some(&patch),
            )
            .await;
        assert_eq!(response.status(), 400, "PATCH grid {field}");
        let response = stack
            .request(
                &edge,
                Method::PATCH,
                &format!("/api/v1/links/{link}"),
                Some(&alice.access_token),
                Some(&json!({field: value, "grid": private})),
            )
            .await;
        assert_eq!(response.status(), 400, "PATCH link {field}");
    }
    for (field, value) in [
        ("id", json!("us_x")),
        ("username", json!("admin")),
        ("email", json!("a@evil.example")),
    ] {
        let response = stack
            .request(
                &edge,
                Method::PATCH,
                "/api/v1/users/me",
                Some(&bob.access_token),
                Some(&json!({field: value})),
            )
            .await;
        assert_eq!(response.status(), 400, "PATCH users/me {field}");
    }
    // What is stored is what it was.
    let grid: Value = stack
        .request(
            &edge,
            Method::GET,
            &format!("/api/v1/grids/{public}"),
            Some(&alice.access_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    if grid["owner"] != alice.id.as_str()
        || grid["title"] != "shown"
        || grid["visibility"] != "public"
    {
        persisted.push(format!("grid {grid}"));
    }
    let stored: Value = stack
        .request(
            &edge,
            Method::GET,
            &format!("/api/v1/links/{link}"),
            None,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    if stored["grid"] != public || stored["url"] != "https://a.example/" {
        persisted.push(format!("link {stored}"));
    }
    let me: Value = stack
        .request(
            &edge,
            Method::GET,
            "/api/v1/users/me",
            Some(&bob.access_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    if me["username"] != "bob" || me["id"] != bob.id.as_str() {
        persisted.push(format!("user {me}"));
    }
    let bobs_grids = stack
        .count(
            &stack.grids,
            &format!("SELECT count(*) AS n FROM grids WHERE owner = '{}'", bob.id),
        )
        .await;

    figures::record(
        "abuse-ownership",
        json!({
            "cross_user_attempts": matrix.len(), "cross_user_successes": cross_user_successes.len(),
            "private_objects_listed_to_others": leaked,
            "forbidden_field_attempts": 1 + 2 * forbidden.as_object().unwrap().len() + 3,
            "forbidden_fields_persisted": persisted.len() + bobs_grids as usize,
        }),
    );
    assert!(cross_user_successes.is_empty(), "{cross_user_successes:#?}");
    assert_eq!(leaked, 0);
    assert!(persisted.is_empty(), "{persisted:#?}");
    assert_eq!(
        bobs_grids, 0,
        "the create with forbidden fields stored nothing"
    );
}

/// A login through the gateway from `address` (the gateway believes this
/// machine's `X-Forwarded-For`), with a device token when given.
async fn login_from(
    stack: &Stack,
    address: &str,
    login: &str,
    password: &str,
    device_token: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"login": login, "password": password});
    if let Some(token) = device_token {
        body["device_token"] = json!(token);
    }
    stack
        .client
        .post(format!("{}/api/v1/auth/login", stack.edge()))
        .header("x-forwarded-for", address)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn password_guessing_from_many_addresses_stays_under_the_account_limit() {
    // The gateway believes X-Forwarded-For from this machine, as behind a load balancer.
    let stack = Stack::with_gateway(|config| {
        config.trusted_proxies =
            gridlink_http::TrustedProxies::parse(&["127.0.0.1".to_owned()]).unwrap();
        config.anonymous.limit = 1_000_000;
    })
    .await;
    signup(&stack.client, &stack.auth.url, "victim").await;
    let limit = auth::Config::from_env()
        .unwrap()
        .throttle
        .max_failures_per_account as usize;
    // The owner signed in on their phone before the attack.
    let phone: Value = login_from(&stack, "203.0.113.7", "victim", PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let mut device = phone["device_token"].as_str().unwrap().to_owned();
    let attempts = 200;
    // Sent 25 at a time, as a guesser would: the limit must hold in parallel
    // too. Meanwhile the owner signs in from the phone, again and again.
    let guesses = futures_util::stream::iter(0..attempts)
        .map(|i| {
            let address = format!("198.51.{}.{}", i / 250, i % 250 + 1);
            let stack = &stack;
            async move {
                let password = format!("guess number {i}");
                let response = login_from(stack, &address, "victim", &password, None).await;
                response.status().as_u16()
            }
        })
        .buffer_unordered(25)
        .collect::<Vec<u16>>();
    // Each login hands the device a new token, as OWASP's device cookies do,
    // and the phone keeps the newest.
    let owner = async {
        let mut refused = 0;
        for _ in 0..10 {
            let response =
                login_from(&stack, "203.0.113.7", "victim", PASSWORD, Some(&device)).await;
            if response.status() == StatusCode::OK {
                let body: Value = response.json().await.unwrap();
                device = body["device_token"].as_str().unwrap().to_owned();
            } else {
                refused += 1;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        refused
    };
    let (statuses, owner_refused) = tokio::join!(guesses, owner);
    let evaluated = statuses.iter().filter(|&&s| s == 401).count();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    let other: Vec<_> = statuses
        .iter()
        .filter(|s| !matches!(s, 401 | 429))
        .collect();
    // Throttled, the real password is refused too from a new device until the
    // window passes: the guesser cannot learn whether a guess was right.
    let new_device = login_from(&stack, "192.0.2.200", "victim", PASSWORD, None).await;
    let no_gateway_budget = new_device.headers().get("ratelimit").is_none();
    let new_device_status = new_device.status();
    figures::record(
        "abuse-brute-force",
        json!({
            "attempts": attempts, "client_addresses": attempts, "passwords_checked": evaluated,
            "throttled": throttled, "documented_limit_per_hour": limit,
            "accepted_when_it_should_not": evaluated.saturating_sub(limit),
            "owner_logins_from_known_device": 10, "owner_logins_refused": owner_refused,
        }),
    );
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert!(
        evaluated <= limit,
        "{evaluated} guesses were checked, the limit is {limit}"
    );
    assert_eq!(owner_refused, 0, "the owner's known device was refused");
    assert_eq!(new_device_status, 429);
    assert!(
        no_gateway_budget,
        "the login throttle's 429 carries no gateway RateLimit"
    );
}

#[tokio::test]
async fn nobody_behind_a_shared_address_is_locked_out_by_the_others() {
    let stack = Stack::with_gateway(|config| {
        config.trusted_proxies =
            gridlink_http::TrustedProxies::parse(&["127.0.0.1".to_owned()]).unwrap();
        config.anonymous.limit = 1_000_000;
    })
    .await;
    let per_address = auth::Config::from_env()
        .unwrap()
        .throttle
        .max_failures_per_ip as usize;
    let carrier_nat = "100.64.0.1";
    let users: Vec<String> = (0..20).map(|i| format!("commuter{i}")).collect();
    for name in &users {
        signup(&stack.client, &stack.auth.url, name).await;
    }
    // Every commuter signs in five times, all at once, behind one address,
    // and a few of them mistype once.
    let logins = futures_util::stream::iter(0..users.len() * 5)
        .map(|i| {
            let (stack, name) = (&stack, &users[i % users.len()]);
            async move {
                if i % 17 == 0 {
                    login_from(stack, carrier_nat, name, "a typo", None).await;
                }
                login_from(stack, carrier_nat, name, PASSWORD, None)
                    .await
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(20)
        .collect::<Vec<u16>>()
        .await;
    let locked_out = logins.iter().filter(|&&s| s != 200).count();
    figures::record(
        "abuse-shared-address",
        json!({
            "users_behind_one_address": users.len(), "logins": logins.len(),
            "address_failure_budget": per_address, "bystander_lockouts": locked_out,
        }),
    );
    assert_eq!(locked_out, 0, "{logins:?}");
}

#[tokio::test]
async fn hostile_request_shapes_get_4xx_never_5xx() {
    let stack = Stack::with_gateway(|_| {}).await;
    let alice = signup(&stack.client, &stack.auth.url, "alice").await;
    let token = alice.access_token.as_str();
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_object = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(8 * 1024 * 1024));
    let bodies: Vec<(&str, String)> = vec![
        ("8 MiB body", huge),
        ("100,000 nested arrays", deep),
        ("10,000 nested objects", deep_object),
        ("not JSON", "{\"title\": ".into()),
        ("wrong types", "{\"title\": [1, 2, 3]}".into()),
        (
            "duplicate keys",
            "{\"title\": \"a\", \"title\": \"b\"}".into(),
        ),
        ("invalid UTF-8 escape", "{\"title\": \"\\ud800\"}".into()),
    ];
    let mut answers = Vec::new();
    for base in [stack.edge().to_owned(), stack.grids.url.clone()] {
        for (name, body) in &bodies {
            let response = stack
                .client
                .post(format!("{base}/api/v1/grids"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            // A server may close the connection on a body it will not read.
            let status = response.map(|r| r.status().as_u16()).unwrap_or(413);
            answers.push((format!("{base} {name}"), status));
        }
        let long_query = format!("{base}/api/v1/grids?owner={}", "a".repeat(64 * 1024));
        let status = stack
            .client
            .get(long_query)
            .bearer_auth(token)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(431);
        answers.push((format!("{base} 64 KiB query string"), status));
        let many_params = format!(
            "{base}/api/v1/links?{}",
            (0..5000)
                .map(|i| format!("p{i}=1"))
                .collect::<Vec<_>>()
                .join("&")
        );
        let status = stack
            .client
            .get(many_params)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(431);
        answers.push((format!("{base} 5,000 query parameters"), status));
    }
    let slow = slow_client(stack.edge(), token).await;
    let server_errors: Vec<_> = answers.iter().filter(|(_, s)| *s >= 500).collect();
    let accepted: Vec<_> = answers.iter().filter(|(_, s)| *s < 400).collect();
    // The services still answer normally afterwards.
    let after = stack
        .request(
            stack.edge(),
            Method::GET,
            "/api/v1/users/me",
            Some(token),
            None,
        )
        .await;
    figures::record(
        "abuse-request-shapes",
        json!({
            "requests": answers.len() + 1, "server_errors": server_errors.len(),
            "accepted_when_it_should_not": accepted.len(),
            "slow_client_cut_after_ms": slow,
        }),
    );
    assert!(server_errors.is_empty(), "{server_errors:#?}");
    assert!(accepted.is_empty(), "{accepted:#?}");
    assert_eq!(after.status(), 200);
}

/// A client that sends its headers and then a body one byte at a time, far
/// more slowly than any real client: the server must end it, not wait forever.
async fn slow_client(edge: &str, token: &str) -> u128 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = edge.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let head = format!(
        "POST /api/v1/grids HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 60000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    for _ in 0..600 {
        if stream.write_all(b" ").await.is_err() {
            break;
        }
        let mut buffer = [0u8; 1024];
        match tokio::time::timeout(
            std::time::Duration::from_millis(100),
            stream.read(&mut buffer),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buffer[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let elapsed = started.elapsed().as_millis();
    assert!(
        elapsed < 60_000,
        "a slow client held a connection for a minute"
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "a slow body is cut with 408: {text}"
    );
    elapsed
}
