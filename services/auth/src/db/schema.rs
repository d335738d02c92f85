// Mirrors migrations/; keep the two in step.

diesel::table! {
    users (id) {
        id -> BigInt,
        slug -> Text,
        username -> Text,
        email -> Text,
        display_name -> Text,
        bio -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        email_verified_at -> Nullable<Timestamptz>,
        mfa_enabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    totp_secrets (user_id) {
        user_id -> BigInt,
        secret_sealed -> Bytea,
        confirmed_at -> Nullable<Timestamptz>,
        last_step -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> BigInt,
        code_hash -> Bytea,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Bytea,
        user_id -> BigInt,
        device_id -> Nullable<BigInt>,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> BigInt,
        purpose -> Text,
        email -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        slug -> Text,
        user_id -> BigInt,
        client -> Text,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        session_id -> BigInt,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    retired_identities (digest) {
        digest -> Bytea,
        retired_until -> Timestamptz,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamptz,
    }
}

diesel::table! {
    deleted_users (slug) {
        slug -> Text,
        deleted_at -> Timestamptz,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    devices,
    email_tokens
);

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::table! {
    erasures (user_id, service) {
        user_id -> Text,
        service -> Text,
        erased_at -> Timestamptz,
    }
}
