// Mirrors migrations/; keep the two in step.

diesel::table! {
    grids (id) {
        id -> BigInt,
        slug -> Text,
        owner -> Text,
        title -> Text,
        description -> Text,
        visibility -> Text,
        created_on -> Timestamptz,
        modified_on -> Timestamptz,
        is_deleted -> Bool,
        deleted_on -> Nullable<Timestamptz>,
    }
}
