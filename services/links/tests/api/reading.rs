use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::{error_fields, problem};

#[tokio::test]
async fn public_links_are_readable_anonymously() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for visibility in ["public", "unlisted"] {
        let grid = app.grid(&alice, visibility).await;
        let link = app.link(&alice, &grid, "a").await;
        let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
        assert_eq!(app.get(&path, None).await.status(), 200);
        let page: Value = app
            .get(&format!("/api/v1/links?grid={grid}"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }
    problem(
        app.get("/api/v1/links/li_00000000000000000000000000000000", None)
            .await,
        404,
    )
    .await;
    problem(app.get("/api/v1/links/garbage", None).await, 404).await;
    problem(app.get("/api/v1/links", None).await, 400).await;
}

#[tokio::test]
async fn pages_of_a_grid_return_every_link_once_in_order_even_with_appends_between() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    for i in 0..23 {
        app.link(&alice, &grid, &format!("l{i:02}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut appended = 0;
    loop {
        let mut path = format!("/api/v1/links?grid={grid}&limit=5");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        app.link(&alice, &grid, &format!("new{appended}")).await;
        appended += 1;
    }
    let expected: Vec<String> = (0..23)
        .map(|i| format!("l{i:02}"))
        .chain((0..appended).map(|i| format!("new{i}")))
        .collect();
    assert_eq!(
        seen, expected,
        "every link once, in position order, appends included"
    );
    assert_eq!(seen.len(), seen.iter().collect::<HashSet<_>>().len());
}

#[tokio::test]
async fn forged_and_foreign_cursors_are_400() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let other = app.grid(&alice, "public").await;
    for i in 0..3 {
        app.link(&alice, &grid, &format!("l{i}")).await;
    }
    let page: Value = app
        .get(&format!("/api/v1/links?grid={grid}&limit=1"), None)
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    for path in [
        format!("/api/v1/links?grid={grid}&cursor=forged.cursor"),
        format!("/api/v1/links?grid={other}&cursor={cursor}"),
    ] {
        let body = problem(app.get(&path, None).await, 400).await;
        assert_eq!(error_fields(&body), ["cursor"]);
    }
    problem(
        app.get(&format!("/api/v1/links?grid={grid}&limit=0"), None)
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn search_finds_only_the_callers_own_links_best_first() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let alice_grid = app.grid(&alice, "private").await;
    let bob_grid = app.grid(&bob, "public").await;
    let add = async |user: &gridlink_test_support::User, grid: &str, title: &str, url: &str| {
        app.call(
            Method::POST,
            "/api/v1/links",
            Some(&user.access_token),
            Some(json!({"grid": grid, "title": title, "url": url})),
        )
        .await
    };
    assert_eq!(
        add(
            &alice,
            &alice_grid,
            "Rust book",
            "https://doc.rust-lang.org/book"
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        add(
            &alice,
            &alice_grid,
            "Rust rust rust",
            "https://rust-lang.org"
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        add(&alice, &alice_grid, "Cooking", "https://recipes.example")
            .await
            .status(),
        201
    );
    assert_eq!(
        add(&bob, &bob_grid, "Rust for Bob", "https://rust.example")
            .await
            .status(),
        201
    );

    let search = async |token: &str, q: &str| -> Value {
        let response = app.get(&format!("/api/v1/links?q={q}"), Some(token)).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    };
    let hits: Value = search(&alice.access_token, "rust").await;
    let titles: Vec<&str> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Rust rust rust", "Rust book"],
        "ranked, and never Bob's"
    );
    let by_url: Value = search(&alice.access_token, "recipes").await;
    assert_eq!(
        by_url["items"][0]["title"], "Cooking",
        "the url is searched too"
    );
    let none: Value = search(&alice.access_token, "zebra").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    // Paging through search results keeps the ranking.
    let first: Value = search(&alice.access_token, "rust&limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = search(
        &alice.access_token,
        &format!("rust&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"][0]["title"], "Rust book");
    assert_eq!(second["next_cursor"], Value::Null);

    problem(app.get("/api/v1/links?q=rust", None).await, 401).await;
    problem(
        app.get("/api/v1/links?q=", Some(&alice.access_token)).await,
        400,
    )
    .await;
    problem(
        app.get(
            &format!("/api/v1/links?q=rust&grid={alice_grid}"),
            Some(&alice.access_token),
        )
        .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn the_batch_returns_the_links_of_many_grids_in_one_call() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let g1 = app.grid(&alice, "public").await;
    let g2 = app.grid(&alice, "public").await;
    let empty = app.grid(&alice, "public").await;
    for t in ["a", "b"] {
        app.link(&alice, &g1, t).await;
    }
    app.link(&alice, &g2, "c").await;
    let deleted = app.link(&alice, &g2, "gone").await;
    app.call(
        Method::DELETE,
        &format!("/api/v1/links/{}", deleted["slug"].as_str().unwrap()),
        Some(&alice.access_token),
        None,
    )
    .await;

    let client = links_client::LinksClient::new({
        let mut s = links_client::ClientSettings::local(&app.links.url);
        s.service_token = Some(gridlink_config::Secret::new(
            gridlink_test_support::GATEWAY_TOKEN,
        ));
        s
    });
    let slugs: Vec<gridlink_ids::GridSlug> = [&g1, &g2, &empty]
        .into_iter()
        .map(|g| g.parse().unwrap())
        .collect();
    let batch = client.links_of_grids(&slugs).await.unwrap();
    let titles = |g: &str| {
        batch[g]
            .items
            .iter()
            .map(|l| l.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&g1), ["a", "b"]);
    assert_eq!(titles(&g2), ["c"]);
    assert!(titles(&empty).is_empty());

    let unauthorised =
        links_client::LinksClient::new(links_client::ClientSettings::local(&app.links.url));
    let error = unauthorised.links_of_grids(&slugs[..1]).await.unwrap_err();
    assert_eq!(error.status(), Some(401));
}

/// A read that asked the grids service fills in the service's copy of the
/// grid, unless a change was announced after it asked: then the copy stays
/// set aside, so a slow read never writes back what the change replaced.
#[tokio::test]
async fn a_read_fills_the_grid_copy_unless_a_later_change_set_it_aside() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "unlisted").await;
    let link = app.link(&alice, &grid, "a").await;
    let path = format!("/api/v1/links/{}", link["slug"].as_str().unwrap());
    let copied = format!(
        "SELECT count(*) AS n FROM grid_copies \
         WHERE slug = '{grid}' AND owner = '{}' AND visibility = 'unlisted'",
        alice.id
    );

    assert_eq!(app.get(&path, None).await.status(), 200);
    assert_eq!(app.sql_count(&copied).await, 1, "filled in by the read");

    // A change consumed after any question asked from now on.
    app.sql_lines(&format!(
        "UPDATE grid_copies SET owner = NULL, visibility = NULL, filled_at = NULL, \
         invalidated_at = now() + interval '1 hour' WHERE slug = '{grid}'"
    ))
    .await;
    assert_eq!(app.get(&path, None).await.status(), 200);
    assert_eq!(
        app.sql_count(&copied).await,
        0,
        "the older answer is refused"
    );
}
