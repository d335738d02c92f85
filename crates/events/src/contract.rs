//! proto-docs/events.asyncapi.yaml must describe the catalogue the code uses.

use gridlink_ids::{GridSlug, LinkSlug, UserId};

use crate::topology::QUEUES;
use crate::{
    Event, GridChange, GridChanged, GridDeleted, LinkDeleted, LinksChanged, LinksClicked,
    NotificationRequested, PagesViewed, SessionsRevoked, Template, UserDeleted, UserErased,
    UserUpdated,
};

const DOCUMENT: &str = include_str!("../../../proto-docs/events.asyncapi.yaml");

fn fields<T: serde::Serialize>(sample: &T) -> Vec<String> {
    serde_json::to_value(sample)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_event_and_its_fields_are_documented() {
    let events: [(&str, Vec<String>); 11] = [
        (LinksClicked::TYPE, fields(&LinksClicked::new(vec![]))),
        (PagesViewed::TYPE, fields(&PagesViewed::new(vec![]))),
        (
            UserUpdated::TYPE,
            fields(&UserUpdated::new(UserId::generate())),
        ),
        (
            GridChanged::TYPE,
            fields(&GridChanged::new(
                GridSlug::generate(),
                UserId::generate(),
                GridChange::Updated,
            )),
        ),
        (
            LinksChanged::TYPE,
            fields(&LinksChanged::new(GridSlug::generate(), UserId::generate())),
        ),
        (
            UserDeleted::TYPE,
            fields(&UserDeleted::new(UserId::generate())),
        ),
        (
            GridDeleted::TYPE,
            fields(&GridDeleted::new(GridSlug::generate(), UserId::generate())),
        ),
        (
            LinkDeleted::TYPE,
            fields(&LinkDeleted::new(
                LinkSlug::generate(),
                GridSlug::generate(),
                UserId::generate(),
            )),
        ),
        (
            UserErased::TYPE,
            fields(&UserErased::new(UserId::generate(), "grids")),
        ),
        (
            SessionsRevoked::TYPE,
            fields(&SessionsRevoked::account(UserId::generate())),
        ),
        (
            NotificationRequested::TYPE,
            fields(&NotificationRequested::new(
                UserId::generate(),
                Template::PasswordChanged,
                "someone@example.com",
                [("username", "someone".to_owned())],
            )),
        ),
    ];
    for (event_type, fields) in events {
        let section = DOCUMENT
            .split(&format!("name: {event_type}"))
            .nth(1)
            .unwrap_or_else(|| panic!("{event_type} is not documented"));
        let required = section
            .lines()
            .find(|l| l.trim_start().starts_with("required:"))
            .unwrap();
        for field in fields {
            assert!(
                required.contains(&field),
                "{event_type}.{field} is not documented as required"
            );
        }
    }
}

#[test]
fn every_queue_and_binding_is_documented() {
    for queue in QUEUES {
        assert!(
            DOCUMENT.contains(&format!("  {}:\n", queue.name)),
            "queue {} is not documented",
            queue.name
        );
        assert!(
            DOCUMENT.contains(&format!("  {}:\n", queue.routing_key)),
            "routing key {} is not documented",
            queue.routing_key
        );
        assert!(
            DOCUMENT.contains(&format!("{}.dlq", queue.name)),
            "dead-letter queue of {}",
            queue.name
        );
    }
}
