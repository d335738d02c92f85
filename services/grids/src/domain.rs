//! Grid fields as the service trusts them, parsed from the request bodies.

use gridlink_ids::{All, At, Invalid, Line, Paragraph, Visibility, optional};

use crate::api::{CreateGrid, UpdateGrid};

pub const TITLE_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 2000;

pub type Title = Line<TITLE_MAX>;
pub type Description = Paragraph<DESCRIPTION_MAX>;

/// A new grid's fields.
pub struct GridInput {
    pub title: Title,
    pub description: Description,
    pub visibility: Visibility,
}

impl TryFrom<CreateGrid> for GridInput {
    type Error = Invalid;

    fn try_from(body: CreateGrid) -> Result<Self, Invalid> {
        let (title, description) = (
            Title::parse(&body.title).at("title"),
            optional(body.description.as_deref(), Description::parse).at("description"),
        )
            .all()?;
        Ok(Self {
            title,
            description: description.unwrap_or_else(Description::empty),
            visibility: body.visibility.unwrap_or_default(),
        })
    }
}

/// The fields a change sets; `None` leaves a field as it is.
#[derive(Default)]
pub struct GridUpdate {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub visibility: Option<Visibility>,
}

impl TryFrom<UpdateGrid> for GridUpdate {
    type Error = Invalid;

    fn try_from(body: UpdateGrid) -> Result<Self, Invalid> {
        let (title, description) = (
            optional(body.title.as_deref(), Title::parse).at("title"),
            optional(body.description.as_deref(), Description::parse).at("description"),
        )
            .all()?;
        Ok(Self {
            title,
            description,
            visibility: body.visibility,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_trimmed_and_every_bad_field_is_named() {
        let grid = GridInput::try_from(CreateGrid {
            title: "  My links ".into(),
            description: None,
            visibility: None,
        })
        .unwrap();
        assert_eq!(grid.title.as_str(), "My links");
        assert_eq!(grid.visibility, Visibility::Public);
        let invalid = GridInput::try_from(CreateGrid {
            title: " ".into(),
            description: Some("x".repeat(2001)),
            visibility: None,
        })
        .err()
        .unwrap();
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "description"]);
    }
}
