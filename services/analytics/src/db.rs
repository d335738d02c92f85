//! Every query the analytics service runs, in one place.
//!
//! Ingestion and the two ways counts are removed (an owner's reset of a
//! link, an erasure) are serialised by one advisory lock: batches take it
//! shared, so they run side by side; a reset or an erasure takes it alone,
//! so no batch that read "not reset" or "not erased" writes after it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gridlink_db::{DbError, Tx};
use gridlink_events::{Device, Visit};
use gridlink_ids::{GridSlug, LinkSlug, UserId};

/// The key of the lock between ingestion and removal.
const REMOVAL_LOCK: i64 = 0x616e_616c_7974_6963; // "analytic"

/// The width of a bucket: every zone's offset is a multiple of it.
const BUCKET_SECS: i64 = 15 * 60;

fn bucket(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(BUCKET_SECS), 0).expect("a bucket is a time")
}

async fn shared_lock(tx: &mut Tx) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind::<BigInt, _>(REMOVAL_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes the lock alone: no batch is being counted until the transaction ends.
pub async fn exclusive_lock(tx: &mut Tx) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(REMOVAL_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Erased {
    #[diesel(sql_type = Text)]
    user_id: String,
}

#[derive(diesel::QueryableByName)]
struct Reset {
    #[diesel(sql_type = Text)]
    link: String,
    #[diesel(sql_type = Timestamptz)]
    reset_at: DateTime<Utc>,
}

/// The visits that still count: not of an erased owner, not before their
/// link's last reset.
async fn counted(tx: &mut Tx, visits: &[Visit]) -> Result<Vec<Visit>, DbError> {
    let owners: Vec<String> = visits.iter().map(|v| v.owner.to_string()).collect();
    let erased: HashSet<String> =
        diesel::sql_query("SELECT user_id FROM erased_users WHERE user_id = ANY($1)")
            .bind::<Array<Text>, _>(&owners)
            .load::<Erased>(&mut **tx)
            .await?
            .into_iter()
            .map(|e| e.user_id)
            .collect();
    let links: Vec<String> = visits
        .iter()
        .filter_map(|v| v.link.as_ref().map(ToString::to_string))
        .collect();
    let resets: HashMap<String, DateTime<Utc>> = if links.is_empty() {
        HashMap::new()
    } else {
        diesel::sql_query("SELECT link, reset_at FROM link_resets WHERE link = ANY($1)")
            .bind::<Array<Text>, _>(&links)
            .load::<Reset>(&mut **tx)
            .await?
            .into_iter()
            .map(|r| (r.link, r.reset_at))
            .collect()
    };
    Ok(visits
        .iter()
        .filter(|v| !erased.contains(v.owner.as_str()))
        .filter(|v| {
            v.link
                .as_ref()
                .and_then(|link| resets.get(link.as_str()))
                .is_none_or(|reset_at| v.at >= *reset_at)
        })
        .cloned()
        .collect())
}

/// Who visited what, once per bucket (bots are not visitors).
async fn record_visitors(
    tx: &mut Tx,
    visits: &[Visit],
    subjects: impl Fn(&Visit) -> Vec<String>,
) -> Result<(), DbError> {
    let mut rows: HashSet<(String, DateTime<Utc>, String, String)> = HashSet::new();
    for visit in visits.iter().filter(|v| v.device != Device::Bot) {
        for subject in subjects(visit) {
            rows.insert((
                subject,
                bucket(visit.at),
                visit.visitor.clone(),
                visit.owner.to_string(),
            ));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let (mut subject, mut buckets, mut visitor, mut owner) = (vec![], vec![], vec![], vec![]);
    for (s, b, v, o) in rows {
        subject.push(s);
        buckets.push(b);
        visitor.push(v);
        owner.push(o);
    }
    diesel::sql_query(
        "INSERT INTO visitors (subject, bucket, visitor, owner) \
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Text>, _>(&subject)
    .bind::<Array<Timestamptz>, _>(&buckets)
    .bind::<Array<Text>, _>(&visitor)
    .bind::<Array<Text>, _>(&owner)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A link (or page) and a bucket.
type LinkBucket = (String, DateTime<Utc>);
/// A link's owner, grid, clicks and bot clicks in one bucket.
type ClickCounts = (String, String, i64, i64);

/// Counts a batch of clicks; returns how many counted.
pub async fn record_clicks(tx: &mut Tx, visits: &[Visit]) -> Result<usize, DbError> {
    shared_lock(tx).await?;
    let visits: Vec<Visit> = counted(tx, visits)
        .await?
        .into_iter()
        .filter(|v| v.link.is_some() && v.grid.is_some())
        .collect();
    if visits.is_empty() {
        return Ok(0);
    }
    let mut counts: HashMap<LinkBucket, ClickCounts> = HashMap::new();
    let mut facets: HashMap<(String, NaiveDate, &'static str, String), (String, i64)> =
        HashMap::new();
    for visit in &visits {
        let link = visit.link.as_ref().expect("filtered").to_string();
        let grid = visit.grid.as_ref().expect("filtered").to_string();
        let entry = counts
            .entry((link.clone(), bucket(visit.at)))
            .or_insert_with(|| (visit.owner.to_string(), grid, 0, 0));
        let count = i64::from(visit.count);
        if visit.device == Device::Bot {
            entry.3 += count;
            continue;
        }
        entry.2 += count;
        let day = visit.at.date_naive();
        let mut facet = |name: &'static str, value: &str| {
            facets
                .entry((link.clone(), day, name, value.to_owned()))
                .or_insert_with(|| (visit.owner.to_string(), 0))
                .1 += count;
        };
        facet("device", visit.device.as_str());
        facet("source", visit.source.as_deref().unwrap_or("direct"));
        if let Some(host) = &visit.referrer {
            facet("referrer", host);
        }
    }
    let (mut link, mut buckets, mut owner, mut grid, mut clicks, mut bots) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((l, b), (o, g, c, x)) in counts {
        link.push(l);
        buckets.push(b);
        owner.push(o);
        grid.push(g);
        clicks.push(c);
        bots.push(x);
    }
    diesel::sql_query(
        "INSERT INTO link_counts (link, bucket, owner, grid, clicks, bot_clicks) \
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], \
                              $5::bigint[], $6::bigint[]) \
         ON CONFLICT (link, bucket) DO UPDATE \
         SET clicks = link_counts.clicks + EXCLUDED.clicks, \
             bot_clicks = link_counts.bot_clicks + EXCLUDED.bot_clicks",
    )
    .bind::<Array<Text>, _>(&link)
    .bind::<Array<Timestamptz>, _>(&buckets)
    .bind::<Array<Text>, _>(&owner)
    .bind::<Array<Text>, _>(&grid)
    .bind::<Array<BigInt>, _>(&clicks)
    .bind::<Array<BigInt>, _>(&bots)
    .execute(&mut **tx)
    .await?;
    if !facets.is_empty() {
        let (mut link, mut day, mut facet, mut value, mut owner, mut clicks) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((l, d, f, v), (o, c)) in facets {
            link.push(l);
            day.push(d);
            facet.push(f.to_owned());
            value.push(v);
            owner.push(o);
            clicks.push(c);
        }
        diesel::sql_query(
            "INSERT INTO link_facets (link, day, facet, value, owner, clicks) \
             SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], \
                                  $5::text[], $6::bigint[]) \
             ON CONFLICT (link, day, facet, value) DO UPDATE \
             SET clicks = link_facets.clicks + EXCLUDED.clicks",
        )
        .bind::<Array<Text>, _>(&link)
        .bind::<Array<Date>, _>(&day)
        .bind::<Array<Text>, _>(&facet)
        .bind::<Array<Text>, _>(&value)
        .bind::<Array<Text>, _>(&owner)
        .bind::<Array<BigInt>, _>(&clicks)
        .execute(&mut **tx)
        .await?;
    }
    record_visitors(tx, &visits, |v| {
        vec![
            v.link.as_ref().expect("filtered").to_string(),
            v.owner.to_string(),
        ]
    })
    .await?;
    Ok(visits.len())
}

/// Counts a batch of page views; returns how many counted.
pub async fn record_views(tx: &mut Tx, visits: &[Visit]) -> Result<usize, DbError> {
    shared_lock(tx).await?;
    let visits = counted(tx, visits).await?;
    if visits.is_empty() {
        return Ok(0);
    }
    let mut counts: HashMap<(String, DateTime<Utc>), (String, i64, i64)> = HashMap::new();
    for visit in &visits {
        let page = visit
            .grid
            .as_ref()
            .map_or_else(|| visit.owner.to_string(), ToString::to_string);
        let entry = counts
            .entry((page, bucket(visit.at)))
            .or_insert_with(|| (visit.owner.to_string(), 0, 0));
        let count = i64::from(visit.count);
        if visit.device == Device::Bot {
            entry.2 += count;
        } else {
            entry.1 += count;
        }
    }
    let (mut page, mut buckets, mut owner, mut views, mut bots) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((p, b), (o, v, x)) in counts {
        page.push(p);
        buckets.push(b);
        owner.push(o);
        views.push(v);
        bots.push(x);
    }
    diesel::sql_query(
        "INSERT INTO page_counts (page, bucket, owner, views, bot_views) \
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[], \
                              $5::bigint[]) \
         ON CONFLICT (page, bucket) DO UPDATE \
         SET views = page_counts.views + EXCLUDED.views, \
             bot_views = page_counts.bot_views + EXCLUDED.bot_views",
    )
    .bind::<Array<Text>, _>(&page)
    .bind::<Array<Timestamptz>, _>(&buckets)
    .bind::<Array<Text>, _>(&owner)
    .bind::<Array<BigInt>, _>(&views)
    .bind::<Array<BigInt>, _>(&bots)
    .execute(&mut **tx)
    .await?;
    record_visitors(tx, &visits, |v| vec![v.owner.to_string()]).await?;
    Ok(visits.len())
}

/// Everything counted for `owner` goes.
pub async fn erase_owner(tx: &mut Tx, owner: &UserId) -> Result<(), DbError> {
    exclusive_lock(tx).await?;
    for table in [
        "link_counts",
        "page_counts",
        "visitors",
        "link_facets",
        "link_resets",
    ] {
        diesel::sql_query(format!("DELETE FROM {table} WHERE owner = $1"))
            .bind::<Text, _>(owner.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A deleted grid's counts go: its page's views and its links' clicks.
pub async fn erase_grid(tx: &mut Tx, grid: &GridSlug) -> Result<(), DbError> {
    exclusive_lock(tx).await?;
    let links = "SELECT DISTINCT link FROM link_counts WHERE grid = $1";
    for statement in [
        format!("DELETE FROM visitors WHERE subject IN ({links})"),
        format!("DELETE FROM link_facets WHERE link IN ({links})"),
        format!("DELETE FROM link_resets WHERE link IN ({links})"),
        "DELETE FROM link_counts WHERE grid = $1".to_owned(),
        "DELETE FROM page_counts WHERE page = $1".to_owned(),
    ] {
        diesel::sql_query(statement)
            .bind::<Text, _>(grid.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Resets `link`'s counts: what was counted goes, and clicks made before
/// now that arrive later are not counted.
pub async fn reset_link(tx: &mut Tx, link: &LinkSlug, owner: &UserId) -> Result<(), DbError> {
    exclusive_lock(tx).await?;
    diesel::sql_query(
        "INSERT INTO link_resets (link, owner, reset_at) VALUES ($1, $2, now()) \
         ON CONFLICT (link) DO UPDATE SET reset_at = now()",
    )
    .bind::<Text, _>(link.as_str())
    .bind::<Text, _>(owner.as_str())
    .execute(&mut **tx)
    .await?;
    for statement in [
        "DELETE FROM link_counts WHERE link = $1",
        "DELETE FROM link_facets WHERE link = $1",
        "DELETE FROM visitors WHERE subject = $1",
    ] {
        diesel::sql_query(statement)
            .bind::<Text, _>(link.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A time range: `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    views: i64,
    #[diesel(sql_type = BigInt)]
    clicks: i64,
    #[diesel(sql_type = BigInt)]
    visitors: i64,
}

/// An owner's views, clicks and distinct visitors over `range`.
pub async fn totals(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    range: Range,
) -> Result<(i64, i64, i64), DbError> {
    let totals: Totals = diesel::sql_query(
        "SELECT \
           (SELECT COALESCE(sum(views), 0)::bigint FROM page_counts \
             WHERE owner = $1 AND bucket >= $2 AND bucket < $3) AS views, \
           (SELECT COALESCE(sum(clicks), 0)::bigint FROM link_counts \
             WHERE owner = $1 AND bucket >= $2 AND bucket < $3) AS clicks, \
           (SELECT count(DISTINCT visitor) FROM visitors \
             WHERE subject = $1 AND bucket >= $2 AND bucket < $3) AS visitors",
    )
    .bind::<Text, _>(owner.as_str())
    .bind::<Timestamptz, _>(range.start)
    .bind::<Timestamptz, _>(range.end)
    .get_result(conn)
    .await?;
    Ok((totals.views, totals.clicks, totals.visitors))
}

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct LinkClicks {
    #[diesel(sql_type = Text)]
    pub link: String,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
}

/// The most clicked links of an owner (`by = "owner"`) or a grid
/// (`by = "grid"`) over `range`, most first.
pub async fn top_links(
    conn: &mut AsyncPgConnection,
    by: Scope<'_>,
    range: Range,
    limit: i64,
) -> Result<Vec<LinkClicks>, DbError> {
    let (column, value) = by.column();
    Ok(diesel::sql_query(format!(
        "SELECT link, sum(clicks)::bigint AS clicks FROM link_counts \
         WHERE {column} = $1 AND bucket >= $2 AND bucket < $3 \
         GROUP BY link HAVING sum(clicks) > 0 ORDER BY clicks DESC, link LIMIT $4"
    ))
    .bind::<Text, _>(value)
    .bind::<Timestamptz, _>(range.start)
    .bind::<Timestamptz, _>(range.end)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// Whose links a query looks at.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Owner(&'a UserId),
    Grid(&'a GridSlug),
}

impl Scope<'_> {
    fn column(&self) -> (&'static str, &str) {
        match self {
            Scope::Owner(owner) => ("owner", owner.as_str()),
            Scope::Grid(grid) => ("grid", grid.as_str()),
        }
    }
}

/// How a series is cut, as SQL over `$1` (the first local day), `$2` (the
/// last) and `$3` (the zone): `slots(i, start)`, every slot of the range in
/// order; `key`, the slot of a row's `bucket`; `range`, the rows' filter.
/// Days are the zone's days (23 or 25 hours across DST changes); hours are
/// counted from the first local midnight.
struct Cut {
    slots: &'static str,
    key: &'static str,
}

const RANGE: &str = "bucket >= $1::date::timestamp AT TIME ZONE $3 \
                     AND bucket < ($2::date + 1)::timestamp AT TIME ZONE $3";

fn cut(hourly: bool) -> Cut {
    if hourly {
        Cut {
            slots: "SELECT i, ($1::date::timestamp AT TIME ZONE $3) + i * interval '1 hour' AS start \
                    FROM generate_series(0::bigint, \
                      (extract(epoch FROM (($2::date + 1)::timestamp AT TIME ZONE $3) \
                                         - ($1::date::timestamp AT TIME ZONE $3)) / 3600)::bigint - 1) \
                      AS i",
            key: "floor(extract(epoch FROM bucket - ($1::date::timestamp AT TIME ZONE $3)) / 3600)::bigint",
        }
    } else {
        Cut {
            slots: "SELECT i, ($1::date + i::int)::timestamp AT TIME ZONE $3 AS start \
                    FROM generate_series(0::bigint, ($2::date - $1::date)::bigint) AS i",
            key: "((bucket AT TIME ZONE $3)::date - $1::date)::bigint",
        }
    }
}

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct LinkSlot {
    #[diesel(sql_type = Timestamptz)]
    pub start: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
    #[diesel(sql_type = BigInt)]
    pub unique_visitors: i64,
}

/// A link's clicks and visitors per day or hour of `from..=to` in `zone`.
pub async fn link_series(
    conn: &mut AsyncPgConnection,
    link: &LinkSlug,
    (from, to): (NaiveDate, NaiveDate),
    zone: &str,
    hourly: bool,
) -> Result<Vec<LinkSlot>, DbError> {
    let Cut { slots, key } = cut(hourly);
    Ok(diesel::sql_query(format!(
        "WITH slots AS ({slots}), \
           clicks AS (SELECT {key} AS i, sum(clicks) AS n FROM link_counts \
                      WHERE link = $4 AND {RANGE} GROUP BY 1), \
           uniques AS (SELECT {key} AS i, count(DISTINCT visitor) AS n FROM visitors \
                       WHERE subject = $4 AND {RANGE} GROUP BY 1) \
         SELECT slots.start, COALESCE(clicks.n, 0)::bigint AS clicks, \
                COALESCE(uniques.n, 0)::bigint AS unique_visitors \
         FROM slots LEFT JOIN clicks USING (i) LEFT JOIN uniques USING (i) \
         ORDER BY slots.i"
    ))
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Text, _>(zone)
    .bind::<Text, _>(link.as_str())
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct GridSlot {
    #[diesel(sql_type = Timestamptz)]
    pub start: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub views: i64,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
}

/// A grid page's views and its links' clicks per day or hour.
pub async fn grid_series(
    conn: &mut AsyncPgConnection,
    grid: &GridSlug,
    (from, to): (NaiveDate, NaiveDate),
    zone: &str,
    hourly: bool,
) -> Result<Vec<GridSlot>, DbError> {
    let Cut { slots, key } = cut(hourly);
    Ok(diesel::sql_query(format!(
        "WITH slots AS ({slots}), \
           views AS (SELECT {key} AS i, sum(views) AS n FROM page_counts \
                     WHERE page = $4 AND {RANGE} GROUP BY 1), \
           clicks AS (SELECT {key} AS i, sum(clicks) AS n FROM link_counts \
                      WHERE grid = $4 AND {RANGE} GROUP BY 1) \
         SELECT slots.start, COALESCE(views.n, 0)::bigint AS views, \
                COALESCE(clicks.n, 0)::bigint AS clicks \
         FROM slots LEFT JOIN views USING (i) LEFT JOIN clicks USING (i) \
         ORDER BY slots.i"
    ))
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Text, _>(zone)
    .bind::<Text, _>(grid.as_str())
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Facet {
    #[diesel(sql_type = Text)]
    pub facet: String,
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
}

/// A link's clicks by source, referrer and device over the UTC days
/// `from..=to`, most first.
pub async fn facets(
    conn: &mut AsyncPgConnection,
    link: &LinkSlug,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<Facet>, DbError> {
    Ok(diesel::sql_query(
        "SELECT facet, value, sum(clicks)::bigint AS clicks FROM link_facets \
         WHERE link = $1 AND day >= $2 AND day <= $3 \
         GROUP BY facet, value ORDER BY clicks DESC, value",
    )
    .bind::<Text, _>(link.as_str())
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct ExportRow {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub link: String,
    #[diesel(sql_type = Text)]
    pub grid: String,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
    #[diesel(sql_type = BigInt)]
    pub bot_clicks: i64,
}

/// An owner's clicks per link and local day of `from..=to` in `zone`.
pub async fn export(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    (from, to): (NaiveDate, NaiveDate),
    zone: &str,
) -> Result<Vec<ExportRow>, DbError> {
    Ok(diesel::sql_query(
        "SELECT (bucket AT TIME ZONE $3)::date AS day, link, grid, \
                sum(clicks)::bigint AS clicks, sum(bot_clicks)::bigint AS bot_clicks \
         FROM link_counts \
         WHERE owner = $4 AND bucket >= $1::date::timestamp AT TIME ZONE $3 \
           AND bucket < ($2::date + 1)::timestamp AT TIME ZONE $3 \
         GROUP BY 1, link, grid ORDER BY 1, link",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Text, _>(zone)
    .bind::<Text, _>(owner.as_str())
    .load(conn)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct Zone {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every time zone name the database knows (IANA).
pub async fn zones(conn: &mut AsyncPgConnection) -> Result<Vec<String>, DbError> {
    Ok(diesel::sql_query("SELECT name FROM pg_timezone_names")
        .load::<Zone>(conn)
        .await?
        .into_iter()
        .map(|z| z.name)
        .collect())
}

#[derive(diesel::QueryableByName)]
struct Today {
    #[diesel(sql_type = Date)]
    today: NaiveDate,
}

/// The date it is now in `zone`.
pub async fn today(conn: &mut AsyncPgConnection, zone: &str) -> Result<NaiveDate, DbError> {
    let row: Today = diesel::sql_query("SELECT (now() AT TIME ZONE $1)::date AS today")
        .bind::<Text, _>(zone)
        .get_result(conn)
        .await?;
    Ok(row.today)
}

#[derive(diesel::QueryableByName)]
struct Bounds {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    start: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    finish: Option<DateTime<Utc>>,
}

/// The instants where the local days `from` and `to + 1` begin in `zone`.
pub async fn range(
    conn: &mut AsyncPgConnection,
    (from, to): (NaiveDate, NaiveDate),
    zone: &str,
) -> Result<Range, DbError> {
    let bounds: Bounds = diesel::sql_query(
        "SELECT $1::date::timestamp AT TIME ZONE $3 AS start, \
                ($2::date + 1)::timestamp AT TIME ZONE $3 AS finish",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Text, _>(zone)
    .get_result(conn)
    .await?;
    match (bounds.start, bounds.finish) {
        (Some(start), Some(end)) => Ok(Range { start, end }),
        _ => Err(DbError::NotFound),
    }
}
