//! The owner's statistics: thin handlers over the queries. Every route is the
//! owner's alone: a link or grid that is not the caller's is a 404, as an
//! unknown one is, so nobody learns what exists.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Days, NaiveDate, Utc};
use gridlink_http::openapi::ProblemSchema;
use gridlink_http::{Authenticated, Query};
use gridlink_ids::{GridSlug, LinkSlug, UserId};
use gridlink_problem::{ApiError, FieldError};
use gridlink_service::dependency_failed;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::db::{self, Scope};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(summary)
        .service(link_stats)
        .service(grid_stats)
        .service(reset_link)
        .service(export);
}

/// The longest range a daily series or a summary covers, in days.
const MAX_DAYS: u64 = 400;
/// The longest range an hourly series covers, in days.
const MAX_HOURLY_DAYS: u64 = 31;
/// The days a range covers when `from` is not given.
const DEFAULT_DAYS: u64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// The first day (`YYYY-MM-DD`, in `tz`); default 29 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included (`YYYY-MM-DD`, in `tz`); default today.
    #[param(format = Date)]
    pub to: Option<String>,
    /// An IANA time zone (`Europe/Paris`); default `UTC`.
    #[param(max_length = 64)]
    pub tz: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    #[param(max_length = 64)]
    pub tz: Option<String>,
    /// `day` (default) or `hour`; hourly series cover at most 31 days.
    #[param(inline)]
    pub interval: Option<Interval>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    Hour,
}

/// The days asked for, checked: in a known zone, in order, not too many.
struct DayRange {
    from: NaiveDate,
    to: NaiveDate,
    zone: String,
}

impl RangeQuery {
    async fn days(&self, state: &AppState) -> Result<DayRange, ApiError> {
        let (from, to, tz) = (self.from.as_deref(), self.to.as_deref(), self.tz.as_deref());
        days(state, (from, to), tz, MAX_DAYS).await
    }
}

impl SeriesQuery {
    fn hourly(&self) -> bool {
        self.interval == Some(Interval::Hour)
    }

    async fn days(&self, state: &AppState) -> Result<DayRange, ApiError> {
        let max = if self.hourly() {
            MAX_HOURLY_DAYS
        } else {
            MAX_DAYS
        };
        let (from, to, tz) = (self.from.as_deref(), self.to.as_deref(), self.tz.as_deref());
        days(state, (from, to), tz, max).await
    }
}

async fn days(
    state: &AppState,
    (from, to): (Option<&str>, Option<&str>),
    tz: Option<&str>,
    max_days: u64,
) -> Result<DayRange, ApiError> {
    let zone = tz.unwrap_or("UTC").to_owned();
    let mut errors = Vec::new();
    if !state.zones(&zone).await? {
        errors.push(FieldError::new("tz", "must be an IANA time zone name"));
    }
    let day = |field: &str, value: Option<&str>, errors: &mut Vec<FieldError>| match value {
        None => None,
        Some(raw) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                errors.push(FieldError::new(field, "must be a date, YYYY-MM-DD"));
                None
            }
        },
    };
    let from = day("from", from, &mut errors);
    let to = day("to", to, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    // "Today" is the zone's: ten hours into a UTC day, Kiritimati is already
    // on the next one.
    let to = match to {
        Some(to) => to,
        None => {
            let mut conn = state.db.conn().await?;
            db::today(&mut conn, &zone).await?
        }
    };
    let from = from.unwrap_or_else(|| to - Days::new(DEFAULT_DAYS - 1));
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after `to`"));
    }
    if (to - from).num_days() as u64 >= max_days {
        let must = format!("must be at most {max_days} days before `to`");
        return Err(ApiError::invalid_field("from", must));
    }
    Ok(DayRange { from, to, zone })
}

fn no_such(thing: &str) -> ApiError {
    ApiError::NotFound(format!("no such {thing}"))
}

/// The caller's link, or a 404 (someone else's is unknown to them).
async fn owned_link(state: &AppState, raw: &str, caller: &UserId) -> Result<LinkSlug, ApiError> {
    let slug = LinkSlug::parse(raw).map_err(|_| no_such("link"))?;
    let target = state.links.target(&slug).await.map_err(dependency_failed)?;
    match target {
        Some(target) if &target.owner == caller => Ok(slug),
        _ => Err(no_such("link")),
    }
}

async fn owned_grid(state: &AppState, raw: &str, caller: &UserId) -> Result<GridSlug, ApiError> {
    let slug = GridSlug::parse(raw).map_err(|_| no_such("grid"))?;
    let grid = state
        .grids
        .grid_ref(&slug)
        .await
        .map_err(dependency_failed)?;
    match grid {
        Some(grid) if &grid.owner == caller => Ok(slug),
        _ => Err(no_such("grid")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkCount {
    pub link: String,
    pub clicks: i64,
}

impl From<db::LinkClicks> for LinkCount {
    fn from(row: db::LinkClicks) -> Self {
        Self {
            link: row.link,
            clicks: row.clicks,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    /// Views of your profile and grid pages.
    pub views: i64,
    /// Clicks on your links.
    pub clicks: i64,
    /// Clicks per view (0 without views).
    pub ctr: f64,
    /// Distinct visitors of any of your pages or links; a visitor is known
    /// for one UTC day, so one who came back on two days counts twice.
    pub unique_visitors: i64,
    /// Your ten most clicked links.
    pub top_links: Vec<LinkCount>,
}

/// Your pages' views and your links' clicks over a range of days.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = Summary),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/stats/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let days = q.days(&state).await?;
    let mut conn = state.db.conn().await?;
    let range = db::range(&mut conn, (days.from, days.to), &days.zone).await?;
    let (views, clicks, unique_visitors) = db::totals(&mut conn, &auth.user_id, range).await?;
    let top = db::top_links(&mut conn, Scope::Owner(&auth.user_id), range, 10).await?;
    Ok(HttpResponse::Ok().json(Summary {
        views,
        clicks,
        ctr: if views > 0 {
            clicks as f64 / views as f64
        } else {
            0.0
        },
        unique_visitors,
        top_links: top.into_iter().map(LinkCount::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkSlot {
    /// The slot's first instant (UTC): a local midnight or hour in `tz`.
    pub start: DateTime<Utc>,
    pub clicks: i64,
    pub unique_visitors: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub clicks: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkStats {
    pub link: String,
    /// Every slot of the range, empty ones included.
    pub series: Vec<LinkSlot>,
    /// Clicks by `?src=` (`direct` without one), most first.
    pub sources: Vec<FacetCount>,
    /// Clicks by the referring site's host, most first.
    pub referrers: Vec<FacetCount>,
    /// Clicks by device class (`desktop`, `mobile`, `tablet`).
    pub devices: Vec<FacetCount>,
}

/// One of your links: clicks and visitors per day or hour, and where the
/// clicks came from. Sources, referrers and devices are kept per UTC day.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "A link's slug", pattern = "^li_[0-9a-f]{32}$"), SeriesQuery),
    responses(
        (status = 200, body = LinkStats),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Not your link", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/stats/links/{slug}")]
pub async fn link_stats(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    query: Query<SeriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let hourly = q.hourly();
    let days = q.days(&state).await?;
    let link = owned_link(&state, &slug, &auth.user_id).await?;
    let mut conn = state.db.conn().await?;
    let series =
        db::link_series(&mut conn, &link, (days.from, days.to), &days.zone, hourly).await?;
    let facets = db::facets(&mut conn, &link, (days.from, days.to)).await?;
    let of = |name: &str| {
        facets
            .iter()
            .filter(|f| f.facet == name)
            .map(|f| FacetCount {
                value: f.value.clone(),
                clicks: f.clicks,
            })
            .collect()
    };
    Ok(HttpResponse::Ok().json(LinkStats {
        link: link.to_string(),
        series: series
            .into_iter()
            .map(|s| LinkSlot {
                start: s.start,
                clicks: s.clicks,
                unique_visitors: s.unique_visitors,
            })
            .collect(),
        sources: of("source"),
        referrers: of("referrer"),
        devices: of("device"),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridSlot {
    pub start: DateTime<Utc>,
    pub views: i64,
    pub clicks: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridStats {
    pub grid: String,
    pub series: Vec<GridSlot>,
    /// The grid's links by clicks over the range, most first.
    pub links: Vec<LinkCount>,
}

/// One of your grids: its page's views and its links' clicks per day or
/// hour.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "A grid's slug", pattern = "^gr_[0-9a-f]{32}$"), SeriesQuery),
    responses(
        (status = 200, body = GridStats),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Not your grid", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/stats/grids/{slug}")]
pub async fn grid_stats(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
    query: Query<SeriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let hourly = q.hourly();
    let days = q.days(&state).await?;
    let grid = owned_grid(&state, &slug, &auth.user_id).await?;
    let mut conn = state.db.conn().await?;
    let series =
        db::grid_series(&mut conn, &grid, (days.from, days.to), &days.zone, hourly).await?;
    let range = db::range(&mut conn, (days.from, days.to), &days.zone).await?;
    let links = db::top_links(&mut conn, Scope::Grid(&grid), range, 100).await?;
    Ok(HttpResponse::Ok().json(GridStats {
        grid: grid.to_string(),
        series: series
            .into_iter()
            .map(|s| GridSlot {
                start: s.start,
                views: s.views,
                clicks: s.clicks,
            })
            .collect(),
        links: links.into_iter().map(LinkCount::from).collect(),
    }))
}

/// Reset one of your links' counts to zero. Clicks made before the reset
/// are not counted, however late they arrive.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "A link's slug", pattern = "^li_[0-9a-f]{32}$")),
    responses(
        (status = 204, description = "Reset"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "Not your link", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/stats/links/{slug}")]
pub async fn reset_link(
    state: web::Data<AppState>,
    auth: Authenticated,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let link = owned_link(&state, &slug, &auth.user_id).await?;
    let mut tx = state.db.begin().await?;
    db::reset_link(&mut tx, &link, &auth.user_id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your links' clicks, one row per link and local day with clicks, as CSV:
/// `day,link,grid,clicks,bot_clicks`.
#[utoipa::path(
    tag = "stats",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 401, body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/stats/export.csv")]
pub async fn export(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let days = q.days(&state).await?;
    let mut conn = state.db.conn().await?;
    let rows = db::export(&mut conn, &auth.user_id, (days.from, days.to), &days.zone).await?;
    // Every field is a date, a slug or a number: nothing to quote.
    let mut csv = String::from("day,link,grid,clicks,bot_clicks\n");
    for row in rows {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            row.day, row.link, row.grid, row.clicks, row.bot_clicks
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"gridlink-stats.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}
