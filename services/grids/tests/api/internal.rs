use serde_json::Value;

use crate::helpers::spawn_app;
use gridlink_test_support::{LINKS_TOKEN, problem};

#[tokio::test]
async fn grid_refs_need_a_service_token_and_hide_deleted_grids() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.create_grid(&alice, "Private", "private").await;
    let slug = grid["slug"].as_str().unwrap();
    let path = format!("/internal/v1/grids/{slug}");

    problem(app.get(&path, None).await, 401).await;
    problem(app.get(&path, Some(&alice.access_token)).await, 401).await;
    let reference: Value = app
        .get(&path, Some(LINKS_TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reference["owner"], alice.id.as_str());
    assert_eq!(reference["visibility"], "private");

    app.client
        .delete(app.url(&format!("/api/v1/grids/{slug}")))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    problem(app.get(&path, Some(LINKS_TOKEN)).await, 404).await;
}

#[tokio::test]
async fn the_public_grids_of_an_owner_come_in_one_call() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    app.create_grid(&alice, "a", "public").await;
    app.create_grid(&alice, "b", "private").await;
    app.create_grid(&alice, "c", "unlisted").await;
    app.create_grid(&alice, "d", "public").await;
    let list: Value = app
        .get(
            &format!("/internal/v1/grids?owner={}", alice.id),
            Some(LINKS_TOKEN),
        )
        .await
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["d", "a"]);
    assert_eq!(list["next_cursor"], Value::Null);
    problem(
        app.get("/internal/v1/grids?owner=nope", Some(LINKS_TOKEN))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn a_profiles_grids_come_in_bounded_pages_that_continue_the_public_listing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for i in 0..5 {
        app.create_grid(&alice, &format!("g{i}"), "public").await;
    }
    app.create_grid(&alice, "hidden", "private").await;
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let internal = format!("/internal/v1/grids?owner={}&limit=2", alice.id);
    let first: Value = app
        .get(&internal, Some(LINKS_TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&first), ["g4", "g3"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    // The same cursor continues the public listing a visitor reads.
    let public: Value = app
        .get(
            &format!("/api/v1/grids?owner={}&limit=2&cursor={cursor}", alice.id),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&public), ["g2", "g1"]);
    let last: Value = app
        .get(
            &format!(
                "{internal}&cursor={}",
                public["next_cursor"].as_str().unwrap()
            ),
            Some(LINKS_TOKEN),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(titles(&last), ["g0"]);
    assert_eq!(last["next_cursor"], Value::Null);

    for bad in ["limit=0", "limit=51", "cursor=made-up"] {
        let path = format!("/internal/v1/grids?owner={}&{bad}", alice.id);
        problem(app.get(&path, Some(LINKS_TOKEN)).await, 400).await;
    }
}
