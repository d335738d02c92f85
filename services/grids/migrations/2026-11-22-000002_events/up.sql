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
