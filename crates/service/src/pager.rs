//! Keyset pagination, one way for every listing: `?limit=&cursor=` in, at
//! most `limit` items and an opaque `next_cursor` out. The cursor holds the
//! position after the page's last item and the listing it belongs to (a grid,
//! an owner's view, a search), so it cannot continue another one.
//!
//! ```ignore
//! let pager = Pager::new(&codec, format!("grid:{slug}"), query.limit, query.cursor.as_deref())?;
//! let rows = links::page(&mut conn, &slug, pager.after(), pager.fetch()).await?;
//! let page = pager.page(rows, |link| link.position);
//! ```

use gridlink_ids::Invalid;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cursor::CursorCodec;

/// A page of a listing, as every list endpoint answers it.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Where a page starts and how long it is, parsed from the query.
pub struct Pager<P> {
    codec: CursorCodec,
    listing: String,
    limit: i64,
    after: Option<P>,
}

impl<P: Serialize + DeserializeOwned> Pager<P> {
    pub const DEFAULT_LIMIT: i64 = 20;
    pub const MAX_LIMIT: i64 = 100;

    /// `limit` (1 to 100, default 20) and `cursor` of a listing.
    pub fn new(
        codec: &CursorCodec,
        listing: impl Into<String>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Self, Invalid> {
        Self::bounded(
            codec,
            listing,
            limit,
            cursor,
            Self::DEFAULT_LIMIT,
            Self::MAX_LIMIT,
        )
    }

    /// As [`Pager::new`], with another default and maximum page size.
    pub fn bounded(
        codec: &CursorCodec,
        listing: impl Into<String>,
        limit: Option<i64>,
        cursor: Option<&str>,
        default: i64,
        max: i64,
    ) -> Result<Self, Invalid> {
        let listing = listing.into();
        let limit = match limit {
            None => Ok(default),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(_) => Err(Invalid::field("limit", format!("must be 1 to {max}"))),
        };
        let after = match cursor {
            None => Ok(None),
            Some(cursor) => codec
                .decode(&listing, cursor)
                .map(Some)
                .map_err(|e| Invalid::field("cursor", e.to_string())),
        };
        let (limit, after) = gridlink_ids::All::all((limit, after))?;
        Ok(Self {
            codec: codec.clone(),
            listing,
            limit,
            after,
        })
    }

    /// The position the page starts after; `None` for the first page.
    pub fn after(&self) -> Option<&P> {
        self.after.as_ref()
    }

    /// How many rows to fetch: one more than the page holds, to know whether
    /// there is a next page without counting.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// The page of `rows` (fetched with [`Pager::fetch`]), with a cursor to
    /// the next one when there is more; `position` says where a row stands.
    pub fn page<T>(&self, rows: Vec<T>, position: impl Fn(&T) -> P) -> Page<T> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let (items, after) = first_rows(rows, limit, position);
        Page {
            items,
            next_cursor: after.map(|after| self.codec.encode(&self.listing, &after)),
        }
    }
}

/// The first `limit` of `rows` (fetched one over), and the position after
/// the last of them when there were more: what a cursor to the rest holds.
pub fn first_rows<T, P>(
    mut rows: Vec<T>,
    limit: usize,
    position: impl Fn(&T) -> P,
) -> (Vec<T>, Option<P>) {
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let after = rows.last().map(position);
    (rows, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(b"test", 60)
    }

    #[test]
    fn pages_follow_each_other_through_the_cursor() {
        let codec = codec();
        let rows: Vec<i64> = (1..=7).collect();
        let first = Pager::<i64>::new(&codec, "l", Some(3), None).unwrap();
        assert_eq!(first.fetch(), 4);
        let page = first.page(rows[..4].to_vec(), |r| *r);
        assert_eq!(page.items, [1, 2, 3]);
        let cursor = page.next_cursor.unwrap();
        let second = Pager::<i64>::new(&codec, "l", Some(3), Some(&cursor)).unwrap();
        assert_eq!(second.after(), Some(&3));
        let last = Pager::<i64>::new(&codec, "l", Some(3), None)
            .unwrap()
            .page(rows[6..].to_vec(), |r| *r);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn a_bad_limit_and_a_foreign_cursor_are_both_reported() {
        let codec = codec();
        let elsewhere = codec.encode("other", &5i64);
        let invalid = Pager::<i64>::new(&codec, "l", Some(0), Some(&elsewhere))
            .err()
            .unwrap();
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["limit", "cursor"]);
        assert!(Pager::<i64>::new(&codec, "l", Some(101), None).is_err());
        assert!(Pager::<i64>::new(&codec, "l", Some(100), None).is_ok());
    }
}
