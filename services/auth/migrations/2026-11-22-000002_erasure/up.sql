-- Proof of erasure: which services confirmed they erased a deleted user.
CREATE TABLE erasures (
    user_id   TEXT NOT NULL,
    service   TEXT NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, service)
);

-- Events this service consumed (see crates/events idempotency).
CREATE TABLE processed_events (
    event_id     UUID PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
