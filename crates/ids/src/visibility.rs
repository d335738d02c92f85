//! Who may see a grid. Stored as text (`public`, `unlisted`, `private`) by
//! the grids service, carried as the same words in JSON by every service.

use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed on the owner's profile and readable by anyone.
    #[default]
    Public,
    /// Readable by anyone with the slug, never listed.
    Unlisted,
    /// Only the owner can see it.
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
        }
    }

    /// Whether a viewer sees it: anyone does unless it is private, in which
    /// case only its owner does.
    pub fn shows_to(self, viewer_is_owner: bool) -> bool {
        self != Self::Private || viewer_is_owner
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Visibility {
    type Err = UnknownVisibility;
    fn from_str(value: &str) -> Result<Self, UnknownVisibility> {
        match value {
            "public" => Ok(Self::Public),
            "unlisted" => Ok(Self::Unlisted),
            "private" => Ok(Self::Private),
            _ => Err(UnknownVisibility),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be public, unlisted or private")]
pub struct UnknownVisibility;

#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for Visibility {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
            self.as_str(),
            out,
        )
    }
}

#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Visibility {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<
            diesel::sql_types::Text,
            diesel::pg::Pg,
        >>::from_sql(value)?;
        Ok(text.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_grids_are_hidden_from_others() {
        assert!(Visibility::Public.shows_to(false));
        assert!(Visibility::Unlisted.shows_to(false));
        assert!(!Visibility::Private.shows_to(false));
        assert!(Visibility::Private.shows_to(true));
    }

    #[test]
    fn the_words_round_trip() {
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
        ] {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(v));
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert!("Public".parse::<Visibility>().is_err());
    }
}
