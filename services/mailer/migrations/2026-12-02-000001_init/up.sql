-- The tables every service on the kit has: the transactional outbox its
-- relay publishes, the events its consumers processed, and the users whose
-- data it erased (writes on their behalf are refused). Add the service's own
-- tables below, or in migrations of their own.
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

CREATE TABLE processed_events (
    event_id     UUID PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE erased_users (
    user_id   TEXT PRIMARY KEY,
    erased_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The send log: one row per notification event, claimed before sending so a
-- second delivery of the event (or a second replica) never sends it again.
-- It keeps who and what, never the body or a token.
CREATE TABLE sends (
    event_id   UUID PRIMARY KEY,
    user_id    TEXT NOT NULL,
    template   TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    -- sending: claimed (by the replica sending it, since claimed_at);
    -- sent; refused: the SMTP server refused it for good;
    -- unrenderable: its data did not fit its template.
    status     TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'refused', 'unrenderable')),
    attempts   INTEGER NOT NULL DEFAULT 1,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at    TIMESTAMPTZ
);
CREATE INDEX sends_user_idx ON sends (user_id);
