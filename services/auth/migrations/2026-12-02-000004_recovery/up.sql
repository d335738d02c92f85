-- Verified addresses, and the single-use tokens mailed to prove one or to
-- reset a password. Tokens are 256-bit random strings kept only as SHA-256
-- hashes; a newer token of the same purpose ends the older ones.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;

CREATE TABLE email_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- verify: the account's address; change: a new address to move to;
    -- reset: a forgotten password.
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'change', 'reset')),
    -- The address the token proves (for reset: the one it was sent to).
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose) WHERE used_at IS NULL;
