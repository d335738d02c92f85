DROP TABLE retired_identities;
DROP TABLE devices;
DROP INDEX deleted_users_deleted_at_idx;
ALTER TABLE refresh_tokens ADD COLUMN family_id UUID, ADD COLUMN revoked_at TIMESTAMPTZ,
    ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE;
UPDATE refresh_tokens r SET family_id = replace(s.slug, 'se_', '')::uuid, user_id = s.user_id,
    revoked_at = s.revoked_at
FROM sessions s WHERE s.id = r.session_id;
ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL, ALTER COLUMN user_id SET NOT NULL;
DROP INDEX refresh_tokens_session_idx;
ALTER TABLE refresh_tokens DROP COLUMN session_id;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
DROP TABLE sessions;
