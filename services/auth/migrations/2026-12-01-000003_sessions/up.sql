-- Sign-in sessions. A session starts at login or signup and ends when it is
-- revoked (logout, the sessions API, a password change, the cap on live
-- sessions, a reused refresh token) or reaches its absolute end. `slug` is the
-- `sid` of its access tokens. Its refresh tokens rotate within it.
CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A summary of the client that started it ("Firefox on Linux"), never
    -- the raw User-Agent.
    client       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- No refresh extends a session past this.
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at) WHERE revoked_at IS NULL;
-- Verifiers catching up read the sessions revoked in the last token lifetime.
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Every refresh-token family so far becomes a session (its id keeps the
-- family's uuid), ending 90 days after the family began.
INSERT INTO sessions (slug, user_id, created_at, last_used_at, expires_at, revoked_at)
SELECT 'se_' || replace(family_id::text, '-', ''), user_id, min(issued_at), max(issued_at),
       min(issued_at) + interval '90 days',
       CASE WHEN bool_or(revoked_at IS NULL) THEN NULL ELSE max(revoked_at) END
FROM refresh_tokens
GROUP BY family_id, user_id;

ALTER TABLE refresh_tokens ADD COLUMN session_id BIGINT REFERENCES sessions (id) ON DELETE CASCADE;
UPDATE refresh_tokens r SET session_id = s.id
FROM sessions s WHERE s.slug = 'se_' || replace(r.family_id::text, '-', '');
ALTER TABLE refresh_tokens ALTER COLUMN session_id SET NOT NULL;
DROP INDEX refresh_tokens_family_idx;
DROP INDEX refresh_tokens_user_idx;
ALTER TABLE refresh_tokens DROP COLUMN family_id, DROP COLUMN revoked_at, DROP COLUMN user_id;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Devices that signed in before (OWASP "device cookies"): a login presenting
-- one of their tokens is judged by the device's own failure budget, not by
-- the account's overall lockout. Only a hash of the token is kept.
CREATE TABLE devices (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX devices_user_idx ON devices (user_id, created_at);

-- Usernames and emails of deleted accounts, held back from new signups for a
-- while so an old profile URL cannot be taken over. Only a keyed hash is
-- kept, and forgotten when the hold ends.
CREATE TABLE retired_identities (
    digest         BYTEA PRIMARY KEY,
    retired_until  TIMESTAMPTZ NOT NULL
);
CREATE INDEX retired_identities_until_idx ON retired_identities (retired_until);

-- The tombstones of deleted users say when, for verifiers catching up.
CREATE INDEX deleted_users_deleted_at_idx ON deleted_users (deleted_at);
