//! The events of `proto-docs/events.asyncapi.yaml`. Each has a versioned type,
//! which is also its routing key on the `gridlink.events` topic exchange.

use chrono::{DateTime, Utc};
use gridlink_ids::{GridSlug, LinkSlug, SessionId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub trait Event: Serialize {
    /// Versioned type and routing key, e.g. `user.deleted.v1`.
    const TYPE: &'static str;
    fn event_id(&self) -> Uuid;
}

/// A user deleted their account; every service erases their data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDeleted {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: UserId,
}

impl UserDeleted {
    pub fn new(user_id: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            user_id,
        }
    }
}

impl Event for UserDeleted {
    const TYPE: &'static str = "user.deleted.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// A grid was deleted through the API; the links service retires its links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridDeleted {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub grid: GridSlug,
    /// The grid's owner.
    pub owner: UserId,
}

impl GridDeleted {
    pub fn new(grid: GridSlug, owner: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            grid,
            owner,
        }
    }
}

impl Event for GridDeleted {
    const TYPE: &'static str = "grid.deleted.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// A link was deleted through the API; the analytics service erases its
/// counts. (A grid's links go with `grid.deleted`, a user's with
/// `user.deleted`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDeleted {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub link: LinkSlug,
    pub grid: GridSlug,
    /// The link's owner.
    pub owner: UserId,
}

impl LinkDeleted {
    pub fn new(link: LinkSlug, grid: GridSlug, owner: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            link,
            grid,
            owner,
        }
    }
}

impl Event for LinkDeleted {
    const TYPE: &'static str = "link.deleted.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// A service finished erasing a deleted user's data (proof of erasure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserErased {
    pub event_id: Uuid,
    pub user_id: UserId,
    /// The service that erased its data: `grids` or `links`.
    pub service: String,
    pub erased_at: DateTime<Utc>,
}

impl UserErased {
    pub fn new(user_id: UserId, service: &str) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            user_id,
            service: service.to_owned(),
            erased_at: Utc::now(),
        }
    }
}

impl Event for UserErased {
    const TYPE: &'static str = "user.erased.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// Sign-in sessions ended: one (`sid`), or every session of a user whose
/// account is gone (no `sid`). Every token verifier (each replica of the
/// gateway and of every service) refuses their access tokens from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsRevoked {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
}

impl SessionsRevoked {
    /// One session of `user_id` ended.
    pub fn session(user_id: UserId, sid: SessionId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            user_id,
            sid: Some(sid),
        }
    }

    /// The account of `user_id` is gone, and every session with it.
    pub fn account(user_id: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            user_id,
            sid: None,
        }
    }
}

impl Event for SessionsRevoked {
    const TYPE: &'static str = "user.sessions_revoked.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// The mail templates the mailer renders. A template's `data` keys are
/// fixed: `username` in every one, and `link` in those that carry a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Confirms a new account's address (`username`, `link`).
    VerifyEmail,
    /// Confirms a new address the user asked for (`username`, `link`).
    ConfirmEmailChange,
    /// Tells the old address that the account's email changed (`username`).
    EmailChanged,
    /// A password reset link (`username`, `link`).
    PasswordReset,
    /// Tells the user that their password was changed (`username`).
    PasswordChanged,
}

impl Template {
    pub const ALL: [Template; 5] = [
        Template::VerifyEmail,
        Template::ConfirmEmailChange,
        Template::EmailChanged,
        Template::PasswordReset,
        Template::PasswordChanged,
    ];

    /// The name on the wire and in the mailer's send log.
    pub fn name(self) -> &'static str {
        match self {
            Template::VerifyEmail => "verify_email",
            Template::ConfirmEmailChange => "confirm_email_change",
            Template::EmailChanged => "email_changed",
            Template::PasswordReset => "password_reset",
            Template::PasswordChanged => "password_changed",
        }
    }

    /// Whether the mail carries a token link.
    pub fn has_link(self) -> bool {
        matches!(
            self,
            Template::VerifyEmail | Template::ConfirmEmailChange | Template::PasswordReset
        )
    }
}

/// Auth asks the mailer to send `template` to `to`, on behalf of `user_id`
/// (whose send log the mailer erases with the account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequested {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: UserId,
    pub template: Template,
    pub to: String,
    pub data: std::collections::BTreeMap<String, String>,
}

impl NotificationRequested {
    pub fn new(
        user_id: UserId,
        template: Template,
        to: &str,
        data: impl IntoIterator<Item = (&'static str, String)>,
    ) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            user_id,
            template,
            to: to.to_owned(),
            data: data.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

/// The events whose payloads carry secrets (a mailed token's link): the
/// relay erases their payload from the outbox once the broker has them, so
/// no token outlives its trip in plain text.
pub const SECRET_BEARING: [&str; 1] = [NotificationRequested::TYPE];

impl Event for NotificationRequested {
    const TYPE: &'static str = "notification.requested.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// A user's public fields (display name, bio) changed: pages showing them
/// are stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdated {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: UserId,
}

impl UserUpdated {
    pub fn new(user_id: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            user_id,
        }
    }
}

impl Event for UserUpdated {
    const TYPE: &'static str = "user.updated.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// What happened to a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GridChange {
    Created,
    /// Its title, description or visibility.
    Updated,
    Deleted,
}

/// A grid was created, changed or deleted: its owner's pages are stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridChanged {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub grid: GridSlug,
    pub owner: UserId,
    pub change: GridChange,
}

impl GridChanged {
    pub fn new(grid: GridSlug, owner: UserId, change: GridChange) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            grid,
            owner,
            change,
        }
    }
}

impl Event for GridChanged {
    const TYPE: &'static str = "grid.changed.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// A grid's links changed (created, updated, moved, reordered, enabled,
/// scheduled or deleted): the pages showing them are stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksChanged {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub grid: GridSlug,
    pub owner: UserId,
}

impl LinksChanged {
    pub fn new(grid: GridSlug, owner: UserId) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            grid,
            owner,
        }
    }
}

impl Event for LinksChanged {
    const TYPE: &'static str = "links.changed.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

/// What kind of client made a visit, from its user agent (the agent itself
/// is never sent). Bots are counted apart from visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
    Bot,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
        }
    }
}

/// One visit as the gateway saw it: when, whose, by whom (a keyed hash of
/// the address and user agent under a secret that lives one UTC day, so it
/// cannot be traced back once the day is over), and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    pub at: DateTime<Utc>,
    /// Whose page or link was visited.
    pub owner: UserId,
    /// The grid page viewed or the clicked link's grid; none for a profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<GridSlug>,
    /// The clicked link (clicks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkSlug>,
    /// 32 hex characters; the same visitor has the same one all day.
    pub visitor: String,
    /// `?src=` of a click (`[a-z0-9_-]{1,32}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The host of the `Referer`, lowercased; nothing else of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    pub device: Device,
    /// How many such visits: the same visitor's repeats within a batch and
    /// a quarter hour travel as one (`at` is the first's).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

fn is_one(count: &u32) -> bool {
    *count == 1
}

impl Visit {
    /// The quarter hour a visit falls in: the finest grain it is counted by.
    pub fn quarter_hour(&self) -> i64 {
        self.at.timestamp().div_euclid(15 * 60)
    }

    /// Visits that differ only in when, within one quarter hour, become one
    /// with their count; order is kept otherwise.
    pub fn collapse(visits: Vec<Visit>) -> Vec<Visit> {
        let mut seen: std::collections::HashMap<VisitKey, usize> =
            std::collections::HashMap::with_capacity(visits.len());
        let mut out: Vec<Visit> = Vec::with_capacity(visits.len());
        for visit in visits {
            let key = VisitKey::of(&visit);
            match seen.get(&key) {
                Some(&at) => out[at].count += visit.count,
                None => {
                    seen.insert(key, out.len());
                    out.push(visit);
                }
            }
        }
        out
    }
}

/// What makes two visits the same visit, but for their count.
#[derive(PartialEq, Eq, Hash)]
struct VisitKey {
    quarter_hour: i64,
    owner: UserId,
    grid: Option<GridSlug>,
    link: Option<LinkSlug>,
    visitor: String,
    source: Option<String>,
    referrer: Option<String>,
    device: Device,
}

impl VisitKey {
    fn of(visit: &Visit) -> Self {
        Self {
            quarter_hour: visit.quarter_hour(),
            owner: visit.owner.clone(),
            grid: visit.grid.clone(),
            link: visit.link.clone(),
            visitor: visit.visitor.clone(),
            source: visit.source.clone(),
            referrer: visit.referrer.clone(),
            device: visit.device,
        }
    }
}

/// A batch of visits (clicks or views), published by the gateway with
/// publisher confirms; the batch's id makes redeliveries count once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visits<K> {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub visits: Vec<Visit>,
    #[serde(skip)]
    kind: std::marker::PhantomData<K>,
}

impl<K> Visits<K> {
    pub fn new(visits: Vec<Visit>) -> Self {
        Self {
            event_id: Uuid::now_v7(),
            occurred_at: Utc::now(),
            visits,
            kind: std::marker::PhantomData,
        }
    }
}

/// Clicks through `/r/{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clicks;

/// Views of profile and grid pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Views;

pub type LinksClicked = Visits<Clicks>;
pub type PagesViewed = Visits<Views>;

impl Event for LinksClicked {
    const TYPE: &'static str = "link.clicked.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

impl Event for PagesViewed {
    const TYPE: &'static str = "page.viewed.v1";
    fn event_id(&self) -> Uuid {
        self.event_id
    }
}
