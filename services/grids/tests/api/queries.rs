//! Query discipline: every read is one indexed statement. These fail when a
//! change adds a statement to a route or loses an index.

use gridlink_test_support::{LINKS_TOKEN, statements_for};

use crate::helpers::spawn_app;

#[tokio::test]
async fn each_read_route_runs_exactly_one_statement() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.create_grid(&alice, "g", "public").await;
    let slug = grid["slug"].as_str().unwrap().to_owned();
    let token = alice.access_token.clone();
    // Warm the JWKS cache so verification costs no remote call below.
    app.get(&format!("/api/v1/grids/{slug}"), Some(&token))
        .await;

    let cases: Vec<(&str, String, Option<&str>)> = vec![
        (
            "grid by slug",
            format!("/api/v1/grids/{slug}"),
            Some(&token),
        ),
        (
            "page of grids",
            "/api/v1/grids?owner=me".into(),
            Some(&token),
        ),
        (
            "public page of grids",
            format!("/api/v1/grids?owner={}", alice.id),
            None,
        ),
        (
            "internal grid ref",
            format!("/internal/v1/grids/{slug}"),
            Some(LINKS_TOKEN),
        ),
        (
            "internal public grids",
            format!("/internal/v1/grids?owner={}", alice.id),
            Some(LINKS_TOKEN),
        ),
    ];
    for (name, path, token) in cases {
        let n = statements_for(&app.client, &app.grids, || app.get(&path, token)).await;
        assert_eq!(n, 1, "{name} ran {n} statements");
    }
}

#[tokio::test]
async fn grid_queries_use_their_indexes_on_a_large_table() {
    let app = spawn_app().await;
    app.sql(
        "INSERT INTO grids (slug, owner, title, visibility) \
         SELECT 'gr_' || md5(i::text), 'us_' || md5((i % 2000)::text), 'g' || i, \
                (ARRAY['public','unlisted','private'])[1 + i % 3] \
         FROM generate_series(1, 60000) AS i; ANALYZE grids;",
    )
    .await;
    let owner = "us_' || md5('7') || '";
    let plans = [
        "EXPLAIN SELECT * FROM grids WHERE slug = 'gr_' || md5('42') AND NOT is_deleted".to_owned(),
        format!(
            "EXPLAIN SELECT * FROM grids WHERE owner = '{owner}' AND NOT is_deleted ORDER BY id DESC LIMIT 21"
        ),
        format!(
            "EXPLAIN SELECT * FROM grids WHERE owner = '{owner}' AND NOT is_deleted AND visibility = 'public' \
             AND id < 50000 ORDER BY id DESC LIMIT 21"
        ),
        // Erasing a deleted user's grids, tombstones included.
        format!("EXPLAIN DELETE FROM grids WHERE owner = '{owner}'"),
    ];
    for query in plans {
        let plan = app.sql(&query).await.join("\n");
        assert!(!plan.contains("Seq Scan"), "{query}\n{plan}");
    }
}
