//! Public identifiers and pagination cursors.
//!
//! Slugs are a kind prefix (`us_`, `gr_`, `li_`) and 32 lowercase hex
//! characters of randomness (128 bits). Cursors are opaque to clients: a
//! base64url JSON position, an expiry and an HMAC, so a forged, altered or
//! stale cursor is recognised and refused.

mod cursor;
mod slug;

pub use cursor::{CursorCodec, CursorError, PageParams};
pub use slug::{SlugKind, is_slug, new_slug};
