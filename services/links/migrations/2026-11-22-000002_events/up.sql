-- Events this service consumed (see crates/events idempotency).
CREATE TABLE processed_events (
    event_id     UUID PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Users whose data was erased: writes on their behalf are refused.
CREATE TABLE erased_users (
    user_id   TEXT PRIMARY KEY,
    erased_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Transactional outbox (see crates/events): user.erased confirmations.
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
