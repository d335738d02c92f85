//! Query discipline: every read is one indexed statement.

use gridlink_test_support::{GATEWAY_TOKEN, statements_for};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn each_read_route_runs_exactly_one_statement() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "public").await;
    let link = app.link(&alice, &grid, "rust").await;
    let slug = link["slug"].as_str().unwrap().to_owned();
    let token = alice.access_token.clone();
    app.get(&format!("/api/v1/links/{slug}"), Some(&token))
        .await; // warm the JWKS cache

    // The link with its grid's copy; the page (with no broker the copy is
    // not fed, so the listing asks grids without looking at it; fed, it is
    // the copy, then the page: e2e grid_copies); the search.
    let cases = [
        ("link by slug", format!("/api/v1/links/{slug}"), 1),
        (
            "page of a grid's links",
            format!("/api/v1/links?grid={grid}"),
            1,
        ),
        ("search", "/api/v1/links?q=rust".to_owned(), 1),
    ];
    for (name, path, want) in cases {
        let n = statements_for(&app.client, &app.links, || app.get(&path, Some(&token))).await;
        assert_eq!(n, want, "{name} ran {n} statements");
    }
    let grids: Vec<String> = vec![grid.clone(); 1];
    let n = statements_for(&app.client, &app.links, || async {
        app.client
            .post(format!("{}/internal/v1/links/batch", app.links.url))
            .bearer_auth(GATEWAY_TOKEN)
            .json(&json!({"grids": grids}))
            .send()
            .await
            .unwrap()
    })
    .await;
    // The grids' rendered heads (the link's creation rendered its grid's).
    assert_eq!(n, 1, "the batch ran {n} statements");
}

#[tokio::test]
async fn link_queries_use_their_indexes_on_a_large_table() {
    let app = spawn_app().await;
    app.sql_lines(
        "INSERT INTO links (slug, grid, owner, title, url, position) \
         SELECT 'li_' || md5(i::text), 'gr_' || md5((i / 10)::text), 'us_' || md5((i / 100)::text), \
                'title ' || i, 'https://example.com/' || i, i % 10 \
         FROM generate_series(0, 99999) AS i; \
         INSERT INTO grid_copies (slug, owner, visibility, filled_at) \
         SELECT 'gr_' || md5(i::text), 'us_' || md5((i / 10)::text), 'public', now() \
         FROM generate_series(0, 9999) AS i; \
         INSERT INTO public_heads (grid, owner, format, items) \
         SELECT 'gr_' || md5(i::text), 'us_' || md5((i / 10)::text), 1, '[]' \
         FROM generate_series(0, 9999) AS i; \
         ANALYZE links; ANALYZE grid_copies; ANALYZE public_heads;",
    )
    .await;
    let grid = "'gr_' || md5('42')";
    let plans = [
        "EXPLAIN SELECT * FROM links WHERE slug = 'li_' || md5('4242') AND NOT is_deleted"
            .to_owned(),
        // A link with its grid's copy; a grid's copy; erasing a user's copies.
        "EXPLAIN SELECT * FROM links l LEFT JOIN grid_copies g ON g.slug = l.grid \
         WHERE l.slug = 'li_' || md5('4242') AND NOT l.is_deleted"
            .to_owned(),
        format!("EXPLAIN SELECT * FROM grid_copies WHERE slug = {grid}"),
        "EXPLAIN DELETE FROM grid_copies WHERE owner = 'us_' || md5('7')".to_owned(),
        format!(
            "EXPLAIN SELECT * FROM links WHERE grid = {grid} AND NOT is_deleted AND position > 3 ORDER BY position LIMIT 21"
        ),
        format!(
            "EXPLAIN SELECT * FROM links WHERE grid = ANY(ARRAY[{grid}, 'gr_' || md5('43'), 'gr_' || md5('44')]) \
             AND NOT is_deleted ORDER BY grid, position"
        ),
        // The pages' batch: each grid's first public links, and their next change.
        format!(
            "EXPLAIN SELECT * FROM (SELECT l.*, row_number() OVER (PARTITION BY grid ORDER BY pinned DESC, position) AS n \
             FROM links l WHERE grid = ANY(ARRAY[{grid}, 'gr_' || md5('43')]) AND NOT is_deleted AND enabled \
             AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())) r WHERE n <= 51"
        ),
        format!(
            "EXPLAIN SELECT grid, min(LEAST(starts_at, ends_at)) FROM links \
             WHERE grid = ANY(ARRAY[{grid}, 'gr_' || md5('43')]) AND NOT is_deleted AND enabled \
             AND (starts_at > now() OR ends_at > now()) GROUP BY grid"
        ),
        "EXPLAIN SELECT * FROM links l, websearch_to_tsquery('simple', 'title') q \
         WHERE l.owner = 'us_' || md5('7') AND NOT l.is_deleted AND l.search @@ q"
            .to_owned(),
        // The grids' rendered heads; erasing a user's.
        format!(
            "EXPLAIN SELECT * FROM public_heads WHERE grid = ANY(ARRAY[{grid}, 'gr_' || md5('43')]) \
             AND format = 1 AND (changes_at IS NULL OR changes_at > now())"
        ),
        "EXPLAIN DELETE FROM public_heads WHERE owner = 'us_' || md5('7')".to_owned(),
        // Erasing a deleted user (tombstones included) and retiring a deleted grid.
        "EXPLAIN DELETE FROM links WHERE owner = 'us_' || md5('7')".to_owned(),
        format!(
            "EXPLAIN UPDATE links SET is_deleted = true WHERE grid = {grid} AND NOT is_deleted"
        ),
    ];
    for query in plans {
        let plan = app.sql_lines(&query).await.join("\n");
        assert!(!plan.contains("Seq Scan"), "{query}\n{plan}");
    }
}
