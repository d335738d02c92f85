//! Users with data, and their deletion, as the event and fault tests need them.

use gridlink_test_support::{PASSWORD, User, signup};
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

/// A user with two grids of two links each.
pub async fn user_with_data(stack: &Stack, name: &str) -> User {
    let user = signup(&stack.client, &stack.auth.url, name).await;
    for g in 0..2 {
        let grid: Value = stack
            .client
            .post(format!("{}/api/v1/grids", stack.grids.url))
            .bearer_auth(&user.access_token)
            .json(&json!({"title": format!("grid {g}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for l in 0..2 {
            let response = stack
                .client
                .post(format!("{}/api/v1/links", stack.links.url))
                .bearer_auth(&user.access_token)
                .json(&json!({"grid": grid["slug"], "title": format!("link {l}"), "url": "https://example.com"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }
    }
    user
}

pub async fn delete_account(stack: &Stack, user: &User) {
    let response = stack
        .client
        .request(
            Method::DELETE,
            format!("{}/api/v1/users/me", stack.auth.url),
        )
        .bearer_auth(&user.access_token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

pub async fn rows_left(stack: &Stack, user: &User) -> i64 {
    let grids = stack
        .count(
            &stack.grids,
            &format!(
                "SELECT count(*) AS n FROM grids WHERE owner = '{}'",
                user.id
            ),
        )
        .await;
    let links = stack
        .count(
            &stack.links,
            &format!(
                "SELECT count(*) AS n FROM links WHERE owner = '{}'",
                user.id
            ),
        )
        .await;
    grids + links
}
