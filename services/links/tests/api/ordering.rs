use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use gridlink_test_support::{error_fields, problem};

#[tokio::test]
async fn links_go_last_or_where_asked() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    app.link(&alice, &grid, "a").await;
    app.link(&alice, &grid, "c").await;
    let insert = |title: &'static str, position: i64| {
        app.call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(
                json!({"grid": grid, "title": title, "url": "https://e.com", "position": position}),
            ),
        )
    };
    let b: Value = insert("b", 1).await.json().await.unwrap();
    assert_eq!(b["position"], 1);
    let first: Value = insert("first", 0).await.json().await.unwrap();
    assert_eq!(first["position"], 0);
    let last: Value = insert("last", 99).await.json().await.unwrap();
    assert_eq!(last["position"], 4, "past the end means last");
    assert_eq!(
        app.titles(&alice, &grid).await,
        ["first", "a", "b", "c", "last"]
    );
}

#[tokio::test]
async fn patching_the_position_moves_a_link() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let mut slugs = Vec::new();
    for t in ["a", "b", "c", "d"] {
        slugs.push(
            app.link(&alice, &grid, t).await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let move_to = |slug: String, position: i64| {
        let path = format!("/api/v1/links/{slug}");
        let token = alice.access_token.clone();
        let app = &app;
        async move {
            let r = app
                .call(
                    Method::PATCH,
                    &path,
                    Some(&token),
                    Some(json!({"position": position})),
                )
                .await;
            assert_eq!(r.status(), 200);
        }
    };
    move_to(slugs[3].clone(), 0).await;
    assert_eq!(app.titles(&alice, &grid).await, ["d", "a", "b", "c"]);
    move_to(slugs[3].clone(), 2).await;
    assert_eq!(app.titles(&alice, &grid).await, ["a", "b", "d", "c"]);
    move_to(slugs[0].clone(), 50).await;
    assert_eq!(app.titles(&alice, &grid).await, ["b", "d", "c", "a"]);
}

#[tokio::test]
async fn reordering_sets_the_whole_order_at_once() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let mut slugs = Vec::new();
    for t in ["a", "b", "c"] {
        slugs.push(
            app.link(&alice, &grid, t).await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let reorder = |links: Vec<String>| {
        app.call(
            Method::PUT,
            "/api/v1/links/order",
            Some(&alice.access_token),
            Some(json!({"grid": grid, "links": links})),
        )
    };
    let response = reorder(vec![slugs[2].clone(), slugs[0].clone(), slugs[1].clone()]).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.titles(&alice, &grid).await, ["c", "a", "b"]);

    // Missing, duplicated or foreign links: 409 (not the grid as it is), nothing changes.
    for bad in [
        vec![slugs[0].clone(), slugs[1].clone()],
        vec![slugs[0].clone(), slugs[0].clone(), slugs[1].clone()],
        vec![
            slugs[0].clone(),
            slugs[1].clone(),
            slugs[2].clone(),
            "li_00000000000000000000000000000000".into(),
        ],
    ] {
        let body = problem(reorder(bad).await, 409).await;
        assert_eq!(error_fields(&body), ["links"]);
    }
    assert_eq!(app.titles(&alice, &grid).await, ["c", "a", "b"]);
}

#[tokio::test]
async fn concurrent_inserts_and_reorders_never_share_a_position() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let mut slugs = Vec::new();
    for i in 0..5 {
        slugs.push(
            app.link(&alice, &grid, &format!("seed{i}")).await["slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let inserts = (0..12).map(|i| {
        app.call(
            Method::POST,
            "/api/v1/links",
            Some(&alice.access_token),
            Some(json!({"grid": grid, "title": format!("n{i}"), "url": "https://e.com", "position": i % 3})),
        )
    });
    let moves = (0..8).map(|i| {
        let path = format!("/api/v1/links/{}", slugs[i % 5]);
        let (app, token) = (&app, &alice.access_token);
        async move {
            app.call(
                Method::PATCH,
                &path,
                Some(token),
                Some(json!({"position": (i * 7) % 9})),
            )
            .await
        }
    });
    let (inserted, moved) = tokio::join!(
        futures_util::future::join_all(inserts),
        futures_util::future::join_all(moves)
    );
    assert!(inserted.iter().all(|r| r.status() == 201));
    assert!(moved.iter().all(|r| r.status() == 200));
    // titles() asserts positions are exactly 0..n-1 in order.
    let titles = app.titles(&alice, &grid).await;
    assert_eq!(titles.len(), 17);
    assert_eq!(
        app.sql_count("SELECT count(*) AS n FROM (SELECT grid, position FROM links WHERE NOT is_deleted GROUP BY 1, 2 HAVING count(*) > 1) d").await,
        0
    );
}
