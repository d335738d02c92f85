//! Gridlink's shared vocabulary: the identifiers every service passes around
//! (`UserId`, `GridSlug`, `LinkSlug`, `SessionId`), who may see a grid (`Visibility`), the
//! bounded text types that carry the trimming and character rules (`Line`,
//! `Paragraph`, `Username`), and the small combinators that parse a whole
//! request into these types while reporting every bad field at once.
//!
//! Features: `diesel` maps the identifiers and `Visibility` to text columns;
//! `openapi` gives them OpenAPI schemas. Client crates need neither.

mod form;
#[cfg(feature = "openapi")]
pub mod schemas;
mod slug;
mod text;
mod visibility;

pub use form::{All, At, FieldError, Invalid, optional};
pub use slug::{BadSlug, GridSlug, LinkSlug, SessionId, UserId};
pub use text::{Line, Paragraph, TextError, Username, is_hidden_format};
pub use visibility::{UnknownVisibility, Visibility};
