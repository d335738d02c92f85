//! Every way of tampering with an access token is refused on the auth routes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, problem, spawn_app};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Claims for `account`, in its real session (from its own access token).
fn claims(account: &Account) -> Value {
    let payload = account.access_token.split('.').nth(1).unwrap();
    let real: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "gridlink-auth", "aud": "gridlink", "sub": account.id, "sid": real["sid"],
           "iat": now, "exp": now + 600, "jti": "t"})
}

fn sign(app: &TestApp, header: Header, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(app.signing_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn header(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.into());
    header
}

async fn assert_refused(app: &TestApp, token: &str, case: &str) {
    let response = app.get("/api/v1/users/me", Some(token)).await;
    assert_eq!(response.status(), 401, "{case} must be refused");
    problem(response, 401).await;
}

#[tokio::test]
async fn a_correctly_signed_token_is_accepted_as_control() {
    let app = spawn_app().await;
    let account = app.signup("oscar").await;
    let token = sign(&app, header("test-key"), &claims(&account));
    assert_eq!(
        app.get("/api/v1/users/me", Some(&token)).await.status(),
        200
    );
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let account = app.signup("peggy").await;
    let victim = app.signup("victim").await;
    let good = account.access_token.clone();
    let parts: Vec<&str> = good.split('.').collect();

    // alg: none, with and without a signature.
    let none_header = b64(&json!({"alg": "none", "typ": "at+jwt", "kid": "test-key"}));
    let body = b64(&claims(&account));
    assert_refused(&app, &format!("{none_header}.{body}."), "alg none").await;
    assert_refused(
        &app,
        &format!("{none_header}.{body}.{}", parts[2]),
        "alg none with signature",
    )
    .await;

    // A flipped bit in the signature.
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[0] ^= 1;
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    assert_refused(&app, &flipped, "flipped signature").await;

    // Forged claims under the original signature: become the victim.
    let forged = format!("{}.{}.{}", parts[0], b64(&claims(&victim)), parts[2]);
    assert_refused(&app, &forged, "forged sub").await;

    // HS256 signed with the public key as the HMAC secret.
    let jwks: Value = app
        .get("/api/v1/auth/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some("test-key".into());
    let confused = jsonwebtoken::encode(
        &hs,
        &claims(&account),
        &EncodingKey::from_secret(public_x.as_bytes()),
    )
    .unwrap();
    assert_refused(&app, &confused, "HS256 with the public key").await;

    // Garbage.
    assert_refused(&app, "not.a.jwt", "garbage").await;
    assert_refused(&app, "", "empty").await;
}

#[tokio::test]
async fn tokens_with_wrong_claims_are_refused_even_when_signed_by_the_real_key() {
    let app = spawn_app().await;
    let account = app.signup("quinn").await;
    let now = chrono::Utc::now().timestamp();
    let mut cases = Vec::new();
    let mut with = |name: &str, key: &str, value: Value| {
        let mut c = claims(&account);
        c[key] = value;
        cases.push((name.to_owned(), c));
    };
    with("expired", "exp", json!(now - 60));
    with("wrong audience", "aud", json!("someone-else"));
    with("wrong issuer", "iss", json!("evil-issuer"));
    with("not yet valid", "nbf", json!(now + 3600));
    for (name, c) in &cases {
        assert_refused(&app, &sign(&app, header("test-key"), c), name).await;
    }
    for claim in ["exp", "sid"] {
        let mut missing = claims(&account);
        missing.as_object_mut().unwrap().remove(claim);
        let name = format!("no {claim}");
        assert_refused(&app, &sign(&app, header("test-key"), &missing), &name).await;
    }
    // A genuine signature over a session of someone else's, or none at all.
    let mut made_up = claims(&account);
    made_up["sid"] = json!("se_00000000000000000000000000000000");
    assert_refused(
        &app,
        &sign(&app, header("test-key"), &made_up),
        "made-up sid",
    )
    .await;
}

#[tokio::test]
async fn tokens_with_wrong_headers_are_refused() {
    let app = spawn_app().await;
    let account = app.signup("rita").await;
    let c = claims(&account);

    assert_refused(&app, &sign(&app, header("unknown-kid"), &c), "unknown kid").await;
    let mut no_kid = header("test-key");
    no_kid.kid = None;
    assert_refused(&app, &sign(&app, no_kid, &c), "no kid").await;
    let mut no_typ = header("test-key");
    no_typ.typ = None;
    assert_refused(&app, &sign(&app, no_typ, &c), "no typ").await;
    let mut id_token = header("test-key");
    id_token.typ = Some("JWT".into());
    assert_refused(&app, &sign(&app, id_token, &c), "typ JWT").await;

    // A token signed by an attacker's key, pointing at the attacker's JWKS.
    let attacker_pem = auth::generate_pem().unwrap();
    let mut jku = header("test-key");
    jku.jku = Some("http://127.0.0.1:1/evil-jwks.json".into());
    let key = EncodingKey::from_ed_pem(attacker_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&jku, &c, &key).unwrap();
    assert_refused(&app, &token, "attacker key with jku").await;
}

#[tokio::test]
async fn only_the_bearer_scheme_is_accepted() {
    let app = spawn_app().await;
    let account = app.signup("sam").await;
    for value in [
        format!("Basic {}", account.access_token),
        account.access_token.clone(),
        "Bearer".into(),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/users/me"))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        problem(response, 401).await;
    }
    let missing = app.get("/api/v1/users/me", None).await;
    problem(missing, 401).await;
}
