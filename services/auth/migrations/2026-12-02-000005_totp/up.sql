-- A second factor: TOTP secrets (sealed with AUTH_MFA_KEY), the recovery
-- codes (hashed, single-use), and the short-lived challenges a login with a
-- right password gets instead of tokens when TOTP is on.
ALTER TABLE users ADD COLUMN mfa_enabled_at TIMESTAMPTZ;

CREATE TABLE totp_secrets (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BYTEA NOT NULL,
    -- NULL while enrolled but not confirmed with a first code.
    confirmed_at  TIMESTAMPTZ,
    -- The last time step whose code was accepted: no code of it, or of an
    -- earlier step, is accepted again.
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The device token presented with the password, if any (it is renewed
    -- when the second factor is passed).
    device_id  BIGINT,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
