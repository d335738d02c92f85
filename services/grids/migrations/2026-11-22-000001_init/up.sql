-- Grids. `owner` is the owning user's public id (a virtual foreign key into
-- the auth service). Deleted grids stay as tombstones (is_deleted) and are
-- invisible everywhere.
CREATE TABLE grids (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    owner       TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL DEFAULT 'public'
                CHECK (visibility IN ('public', 'unlisted', 'private')),
    created_on  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    is_deleted  BOOLEAN NOT NULL DEFAULT false,
    deleted_on  TIMESTAMPTZ
);
-- Newest first is id order. One index per listing: the owner's own view
-- (every visibility) and everyone else's (public only).
CREATE INDEX grids_owner_idx ON grids (owner, id DESC) WHERE NOT is_deleted;
CREATE INDEX grids_owner_public_idx ON grids (owner, id DESC)
    WHERE NOT is_deleted AND visibility = 'public';

-- Transactional outbox (see crates/events).
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    payload      JSONB NOT NULL,
    traceparent  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;
