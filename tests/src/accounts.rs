//! Users with data, and their deletion, as the event and fault tests need them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridlink_test_support::{PASSWORD, User, signup};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::stack::Stack;

/// A user with two grids of two links each.
pub async fn user_with_data(stack: &Stack, name: &str) -> User {
    let user = signup(&stack.client, &stack.auth.url, name).await;
    for g in 0..2 {
        let grid = create_grid(
            stack,
            &stack.grids.url,
            &user.access_token,
            &format!("grid {g}"),
        )
        .await;
        for l in 0..2 {
            create_link(
                stack,
                &stack.links.url,
                &user.access_token,
                &grid,
                &format!("link {l}"),
            )
            .await;
        }
    }
    user
}

/// A public grid made through `base` (the grids service or the gateway);
/// returns its slug.
pub async fn create_grid(stack: &Stack, base: &str, token: &str, title: &str) -> String {
    created_slug(stack, base, token, "/api/v1/grids", json!({"title": title})).await
}

/// A link in `grid` made through `base` (the links service or the gateway);
/// returns its slug.
pub async fn create_link(
    stack: &Stack,
    base: &str,
    token: &str,
    grid: &str,
    title: &str,
) -> String {
    let body = json!({"grid": grid, "title": title, "url": "https://example.com"});
    created_slug(stack, base, token, "/api/v1/links", body).await
}

/// POSTs `body` to `path` through `base`, expects 201 and returns the slug.
async fn created_slug(stack: &Stack, base: &str, token: &str, path: &str, body: Value) -> String {
    let response = stack
        .request(base, Method::POST, path, Some(token), Some(&body))
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["slug"].as_str().unwrap().to_owned()
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

/// `n` users with data named `<prefix>_<i>`, made a few at a time (each
/// signup is an argon2 hash).
pub async fn users_with_data(stack: &Arc<Stack>, prefix: &str, n: usize) -> Vec<User> {
    let gate = Arc::new(Semaphore::new(4));
    let making: Vec<_> = (0..n)
        .map(|i| {
            let (stack, gate, name) = (stack.clone(), gate.clone(), format!("{prefix}_{i}"));
            tokio::spawn(async move {
                let _permit = gate.acquire().await.unwrap();
                user_with_data(&stack, &name).await
            })
        })
        .collect();
    let mut users = Vec::with_capacity(n);
    for task in making {
        users.push(task.await.unwrap());
    }
    users
}

/// Where the erasure of some deleted users stands.
#[derive(Debug, Clone, Copy)]
pub struct Erasure {
    /// Their rows still in the grids and links databases.
    pub rows_left: i64,
    /// Erasure confirmations auth holds for them: one per consuming service.
    pub confirmed: i64,
    users: usize,
}

impl Erasure {
    pub async fn of(stack: &Stack, users: &[User]) -> Self {
        let ids: Vec<String> = users.iter().map(|u| format!("'{}'", u.id)).collect();
        let ids = ids.join(",");
        let owned_by =
            |table: &str| format!("SELECT count(*) AS n FROM {table} WHERE owner IN ({ids})");
        Self {
            rows_left: stack.count(&stack.grids, &owned_by("grids")).await
                + stack.count(&stack.links, &owned_by("links")).await,
            confirmed: stack
                .count(
                    &stack.auth,
                    &format!("SELECT count(*) AS n FROM erasures WHERE user_id IN ({ids})"),
                )
                .await,
            users: users.len(),
        }
    }

    /// Their data is gone and both services confirmed it.
    pub fn done(&self) -> bool {
        self.rows_left == 0 && self.confirmed == 2 * self.users as i64
    }

    /// Polls until the erasure of `users` is done or `within` passes; returns
    /// where it stands and how long the wait was.
    pub async fn awaited(stack: &Stack, users: &[User], within: Duration) -> (Self, Duration) {
        let started = Instant::now();
        loop {
            let erasure = Self::of(stack, users).await;
            if erasure.done() || started.elapsed() > within {
                return (erasure, started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many of `users` still have data, looked up one by one only when
    /// some rows are left.
    pub async fn lost(&self, stack: &Stack, users: &[User]) -> usize {
        if self.rows_left == 0 {
            return 0;
        }
        let mut lost = 0;
        for user in users {
            if rows_left(stack, user).await > 0 {
                lost += 1;
            }
        }
        lost
    }
}
