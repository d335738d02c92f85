//! Link fields as the service trusts them, parsed from the request bodies.

use gridlink_ids::{All, At, GridSlug, Invalid, Line, LinkSlug, optional};

use crate::api::{CreateLink, ReorderLinks, UpdateLink};

pub const TITLE_MAX: usize = 200;
pub const URL_MAX: usize = 2048;
pub const BACKGROUND_MAX: usize = 100;
pub const QUERY_MAX: usize = 200;

pub type Title = Line<TITLE_MAX>;

/// An absolute http(s) URL with a host, in its normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkUrl(String);

impl LinkUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} characters"));
        }
        let parsed =
            url::Url::parse(raw).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none_or(str::is_empty)
        {
            return Err("must be an absolute http(s) URL".into());
        }
        Ok(Self(parsed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A background (a colour or an image reference, shown as given); empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Background(Option<String>);

impl Background {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > BACKGROUND_MAX {
            return Err(format!("must be at most {BACKGROUND_MAX} characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self((!trimmed.is_empty()).then(|| trimmed.to_owned())))
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

/// What a search looks for, trimmed and bounded.
pub fn search_query(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > QUERY_MAX {
        return Err(format!("must be 1 to {QUERY_MAX} characters"));
    }
    Ok(trimmed.replace('\0', ""))
}

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
}

impl TryFrom<CreateLink> for LinkInput {
    type Error = Invalid;

    fn try_from(body: CreateLink) -> Result<Self, Invalid> {
        let (title, url, background, width, height, position, grid) = (
            Title::parse(&body.title).at("title"),
            LinkUrl::parse(&body.url).at("url"),
            Background::parse(body.background.as_deref().unwrap_or("")).at("background"),
            cells(body.width.unwrap_or(1)).at("width"),
            cells(body.height.unwrap_or(1)).at("height"),
            optional(body.position, position).at("position"),
            GridSlug::parse(&body.grid).at("grid"),
        )
            .all()?;
        Ok(Self {
            grid,
            title,
            url,
            background,
            width,
            height,
            position,
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
}

impl TryFrom<UpdateLink> for LinkUpdate {
    type Error = Invalid;

    fn try_from(body: UpdateLink) -> Result<Self, Invalid> {
        let (title, url, background, width, height, move_to) = (
            optional(body.title.as_deref(), Title::parse).at("title"),
            optional(body.url.as_deref(), LinkUrl::parse).at("url"),
            optional(body.background.as_deref(), Background::parse).at("background"),
            optional(body.width, cells).at("width"),
            optional(body.height, cells).at("height"),
            optional(body.position, position).at("position"),
        )
            .all()?;
        Ok(Self {
            title,
            url,
            background,
            width,
            height,
            move_to,
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
            .map(|(i, slug)| LinkSlug::parse(slug).at(&format!("links[{i}]")))
            .collect();
        let (grid, links) = (GridSlug::parse(&body.grid).at("grid"), links).all()?;
        Ok(Self { grid, links })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host() {
        assert_eq!(
            LinkUrl::parse("https://example.com").unwrap().as_str(),
            "https://example.com/"
        );
        assert!(LinkUrl::parse("http://example.com/a?b=c#d").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "example.com",
            "https://",
            "data:text/html,x",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert!(LinkUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(LinkUrl::parse(&format!("https://example.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn sizes_are_one_to_four_cells() {
        assert!(cells(1).is_ok() && cells(4).is_ok());
        assert!(cells(0).is_err() && cells(5).is_err() && cells(-1).is_err());
    }

    #[test]
    fn an_empty_background_clears_it() {
        assert_eq!(Background::parse("").unwrap().as_deref(), None);
        assert_eq!(
            Background::parse(" #ff0000 ").unwrap().as_deref(),
            Some("#ff0000")
        );
    }
}
