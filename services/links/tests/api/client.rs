//! grids-client against the real grids service, including its request-scoped cache.

use gridlink_ids::{GridSlug, UserId};
use grids_client::{ClientSettings, GridsClient};

use crate::helpers::spawn_app;

#[tokio::test]
async fn grid_refs_come_from_the_real_service_and_are_memoised_per_request() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let grid = app.grid(&alice, "private").await;
    let mut settings = ClientSettings::local(&app.grids.url);
    settings.service_token = Some(gridlink_config::Secret::new(
        gridlink_test_support::LINKS_TOKEN,
    ));
    let client = GridsClient::new(settings);

    let grid = GridSlug::parse(&grid).unwrap();
    let alice_id = UserId::parse(&alice.id).unwrap();
    let reference = client.grid_ref(&grid).await.unwrap().unwrap();
    assert_eq!(reference.owner, alice_id);
    assert!(reference.visible_to(Some(&alice_id)));
    assert!(!reference.visible_to(None));
    assert_eq!(
        client
            .grid_ref(&GridSlug::parse("gr_00000000000000000000000000000000").unwrap())
            .await
            .unwrap(),
        None
    );
    // A path cannot be smuggled in: it is not a grid slug at all.
    assert!(GridSlug::parse("gr_../../etc").is_err());

    let before = app.grids.statements(&app.client).await;
    let scoped = client.scoped();
    for _ in 0..3 {
        scoped.grid_ref(&grid).await.unwrap();
    }
    let after = app.grids.statements(&app.client).await;
    assert_eq!(
        after - before,
        1,
        "one remote fetch for three lookups in one request"
    );

    let public = client.public_grids(&alice_id, None, None).await.unwrap();
    assert!(public.items.is_empty(), "private grids are not public");
    assert_eq!(public.next_cursor, None);
}
