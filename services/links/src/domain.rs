//! Link fields as the service trusts them, parsed from the request bodies.

use chrono::{DateTime, Utc};
use gridlink_ids::{All, At, GridSlug, Invalid, Line, LinkSlug, optional};

use crate::api::{CreateLink, ReorderLinks, UpdateLink};

pub const TITLE_MAX: usize = 200;
pub const URL_MAX: usize = 2048;
pub const QUERY_MAX: usize = 200;

pub type Title = Line<TITLE_MAX>;

/// The URLs a link may hold, as a JSON Schema pattern: http or https (any
/// case), a host name of letter-digit-hyphen labels whose last label starts
/// with a letter (no IP literals, no userinfo: `https://google.com@evil.example/`
/// is refused), an optional port, and printable ASCII after it. [`LinkUrl::parse`]
/// accepts exactly these (a test checks the two agree), but for `xn--` labels
/// that are not valid punycode.
pub const URL_PATTERN: &str = concat!(
    "^[Hh][Tt][Tt][Pp][Ss]?://",
    "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*",
    "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    "(?:[/?#][!-~]*)?$"
);

/// A background: `#rgb`, `#rrggbb`, an https URL (of an image), or empty
/// (none).
pub const BACKGROUND_PATTERN: &str = concat!(
    "^(?:#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}|",
    "[Hh][Tt][Tt][Pp][Ss]://",
    "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*",
    "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    "(?:[/?#][!-~]*)?)?$"
);

fn label_ok(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

fn port_ok(port: &str) -> bool {
    port.bytes().all(|b| b.is_ascii_digit())
        && match port.len() {
            1..=4 => true,
            5 => !port.starts_with('0') && port.parse::<u32>().is_ok_and(|p| p <= 65_535),
            _ => false,
        }
}

/// Whether `raw` matches [`URL_PATTERN`] (or, with `https_only`, its https half).
fn matches_url_grammar(raw: &str, https_only: bool) -> bool {
    let lower = raw
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &raw[8..]
    } else if lower.starts_with("http://") && !https_only {
        &raw[7..]
    } else {
        return false;
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if !tail.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        return false;
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let last = labels.last().copied().unwrap_or("");
    labels.iter().all(|l| label_ok(l))
        && last.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && port.is_none_or(port_ok)
}

/// An absolute http(s) URL (see [`URL_PATTERN`]), in its normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkUrl(String);

impl LinkUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} characters"));
        }
        const INVALID: &str =
            "must be an absolute http(s) URL with a host name (no user name, no IP address)";
        if !matches_url_grammar(raw, false) {
            return Err(INVALID.into());
        }
        let parsed = url::Url::parse(raw).map_err(|_| INVALID.to_owned())?;
        Ok(Self(parsed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A background (see [`BACKGROUND_PATTERN`]); empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Background(Option<String>);

impl Background {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} characters"));
        }
        if raw.is_empty() {
            return Ok(Self(None));
        }
        let colour = raw.strip_prefix('#').is_some_and(|hex| {
            matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if colour {
            return Ok(Self(Some(raw.to_owned())));
        }
        if matches_url_grammar(raw, true)
            && let Ok(url) = url::Url::parse(raw)
        {
            return Ok(Self(Some(url.to_string())));
        }
        Err("must be a colour (#rgb or #rrggbb) or an https image URL".into())
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Width or height in grid cells.
pub fn cells(value: i16) -> Result<i16, String> {
    if (1..=4).contains(&value) {
        Ok(value)
    } else {
        Err("must be 1 to 4".into())
    }
}

pub fn position(value: i32) -> Result<i32, String> {
    if value >= 0 {
        Ok(value)
    } else {
        Err("must be 0 or more".into())
    }
}

/// A moment of a link's window, in RFC 3339 (any offset; kept in UTC).
pub fn moment(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| "must be an RFC 3339 date and time, like 2026-12-01T09:00:00Z".into())
}

/// A window must end after it starts.
fn window(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> Result<(), Invalid> {
    match (starts_at, ends_at) {
        (Some(start), Some(end)) if end <= start => {
            Err(Invalid::field("ends_at", "must be after starts_at"))
        }
        _ => Ok(()),
    }
}

/// What a search looks for: one line of words and operators.
pub type SearchQuery = Line<QUERY_MAX>;

/// A new link's fields.
pub struct LinkInput {
    pub grid: GridSlug,
    pub title: Title,
    pub url: LinkUrl,
    pub background: Background,
    pub width: i16,
    pub height: i16,
    /// Where it goes; last when absent.
    pub position: Option<i32>,
    pub enabled: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub pinned: bool,
}

impl TryFrom<CreateLink> for LinkInput {
    type Error = Invalid;

    fn try_from(body: CreateLink) -> Result<Self, Invalid> {
        let (title, url, background, width, height, position, grid, starts_at, ends_at) = (
            Title::parse(&body.title).at("title"),
            LinkUrl::parse(&body.url).at("url"),
            Background::parse(body.background.as_deref().unwrap_or("")).at("background"),
            cells(body.width.unwrap_or(1)).at("width"),
            cells(body.height.unwrap_or(1)).at("height"),
            optional(body.position, position).at("position"),
            GridSlug::parse(&body.grid).at("grid"),
            optional(body.starts_at.as_deref(), moment).at("starts_at"),
            optional(body.ends_at.as_deref(), moment).at("ends_at"),
        )
            .all()?;
        window(starts_at, ends_at)?;
        Ok(Self {
            grid,
            title,
            url,
            background,
            width,
            height,
            position,
            enabled: body.enabled.unwrap_or(true),
            starts_at,
            ends_at,
            pinned: body.pinned.unwrap_or(false),
        })
    }
}

/// The fields a change sets; `None` leaves a field as it is.
pub struct LinkUpdate {
    pub title: Option<Title>,
    pub url: Option<LinkUrl>,
    /// `Some` with an empty background clears it.
    pub background: Option<Background>,
    pub width: Option<i16>,
    pub height: Option<i16>,
    /// Moves the link there (clamped to the last place).
    pub move_to: Option<i32>,
    pub enabled: Option<bool>,
    /// `Some(None)` removes the start (or end) of the window.
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub pinned: Option<bool>,
}

impl TryFrom<UpdateLink> for LinkUpdate {
    type Error = Invalid;

    fn try_from(body: UpdateLink) -> Result<Self, Invalid> {
        let clearable = |value: Option<Option<String>>| match value {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(raw)) => moment(&raw).map(|at| Some(Some(at))),
        };
        let (title, url, background, width, height, move_to, starts_at, ends_at) = (
            optional(body.title.as_deref(), Title::parse).at("title"),
            optional(body.url.as_deref(), LinkUrl::parse).at("url"),
            optional(body.background.as_deref(), Background::parse).at("background"),
            optional(body.width, cells).at("width"),
            optional(body.height, cells).at("height"),
            optional(body.position, position).at("position"),
            clearable(body.starts_at).at("starts_at"),
            clearable(body.ends_at).at("ends_at"),
        )
            .all()?;
        // A window given whole is checked here; one end against the stored
        // other end is checked by the database.
        window(starts_at.flatten(), ends_at.flatten())?;
        Ok(Self {
            title,
            url,
            background,
            width,
            height,
            move_to,
            enabled: body.enabled,
            starts_at,
            ends_at,
            pinned: body.pinned,
        })
    }
}

/// A new order of a grid's links.
pub struct Reorder {
    pub grid: GridSlug,
    pub links: Vec<LinkSlug>,
}

impl TryFrom<ReorderLinks> for Reorder {
    type Error = Invalid;

    fn try_from(body: ReorderLinks) -> Result<Self, Invalid> {
        let links: Result<Vec<LinkSlug>, Invalid> = body
            .links
            .iter()
            .enumerate()
            // The field's name is made only for an error: reorders list hundreds.
            .map(|(i, slug)| {
                LinkSlug::parse(slug)
                    .map_err(|e| Invalid::field(format!("links[{i}]"), e.to_string()))
            })
            .collect();
        let (grid, links) = (GridSlug::parse(&body.grid).at("grid"), links).all()?;
        Ok(Self { grid, links })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_name() {
        assert_eq!(
            LinkUrl::parse("https://example.com").unwrap().as_str(),
            "https://example.com/"
        );
        assert!(LinkUrl::parse("http://example.com/a?b=c#d").is_ok());
        assert!(LinkUrl::parse("HTTPS://Docs.RS:8443/x").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "example.com",
            "https://",
            "data:text/html,x",
            "/relative",
            "mailto:a@b.c",
            "https://google.com@evil.example/",
            "https://user:pass@example.com/",
            "https://127.0.0.1/",
            "https://example.com:99999/",
            " https://example.com",
            "https://exa mple.com",
            "https://example.com/ä",
        ] {
            assert!(LinkUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(LinkUrl::parse(&format!("https://example.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn the_parsers_accept_exactly_what_the_patterns_describe() {
        let url = regex::Regex::new(URL_PATTERN).unwrap();
        let background = regex::Regex::new(BACKGROUND_PATTERN).unwrap();
        let samples = [
            "https://example.com",
            "http://a.b.c/d?e#f",
            "HTTP://X.Y",
            "https://a",
            "https://1a.b2",
            "https://1.2",
            "https://a-.com",
            "https://-a.com",
            "https://a..b",
            "https://xn--bcher-kva.ch",
            "https://a.com:0",
            "https://a.com:65535",
            "https://a.com:65536",
            "https://a.com:00080",
            "https://a.com:",
            "https://a.com/ x",
            "https://a.com/\\x",
            "https://a.com?%zz",
            "https://a@b.com",
            "https://a.com#",
            "https://[::1]/",
            "https://a.com/ä",
            "#fff",
            "#ffff",
            "#A0b1C2",
            "",
            "http://a.com",
            "https://a.com:8080/img.png",
        ];
        for sample in samples {
            assert_eq!(
                url.is_match(sample),
                LinkUrl::parse(sample).is_ok(),
                "url {sample:?}"
            );
            assert_eq!(
                background.is_match(sample),
                Background::parse(sample).is_ok(),
                "background {sample:?}"
            );
        }
    }

    /// The one thing the pattern cannot say: a punycode label must decode.
    #[test]
    fn an_internationalised_name_must_be_valid_punycode() {
        assert!(LinkUrl::parse("https://xn--bcher-kva.ch/").is_ok());
        assert!(LinkUrl::parse("https://xn--a.com/").is_err());
    }

    #[test]
    fn a_window_is_rfc_3339_and_ends_after_it_starts() {
        assert_eq!(
            moment("2026-12-01T10:00:00+01:00").unwrap(),
            moment("2026-12-01T09:00:00Z").unwrap()
        );
        for bad in [
            "2026-12-01",
            "tomorrow",
            "2026-12-01 09:00",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(moment(bad).is_err(), "{bad}");
        }
        let at = |raw| Some(moment(raw).unwrap());
        assert!(window(at("2026-12-01T09:00:00Z"), at("2026-12-02T09:00:00Z")).is_ok());
        assert!(window(at("2026-12-01T09:00:00Z"), at("2026-12-01T09:00:00Z")).is_err());
        assert!(window(None, at("2026-12-01T09:00:00Z")).is_ok());
    }

    #[test]
    fn sizes_are_one_to_four_cells() {
        assert!(cells(1).is_ok() && cells(4).is_ok());
        assert!(cells(0).is_err() && cells(5).is_err() && cells(-1).is_err());
    }

    #[test]
    fn a_background_is_a_colour_or_an_https_image() {
        assert_eq!(Background::parse("").unwrap().as_deref(), None);
        assert_eq!(
            Background::parse("#ff0000").unwrap().as_deref(),
            Some("#ff0000")
        );
        assert_eq!(
            Background::parse("https://img.example/a.png")
                .unwrap()
                .as_deref(),
            Some("https://img.example/a.png")
        );
        for bad in [
            "red",
            "#ff00",
            "http://img.example/a.png",
            "url(javascript:x)",
            " #fff",
        ] {
            assert!(Background::parse(bad).is_err(), "{bad}");
        }
    }
}
