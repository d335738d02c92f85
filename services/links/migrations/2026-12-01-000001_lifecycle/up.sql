-- A link's lifecycle: its owner can hide it without deleting it (`enabled`),
-- show it only inside a window (`starts_at`, `ends_at`), and pin it to the
-- top of the public pages. The public pages show a link when it is enabled
-- and now is inside its window.
ALTER TABLE links
    ADD COLUMN enabled   BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN starts_at TIMESTAMPTZ,
    ADD COLUMN ends_at   TIMESTAMPTZ,
    ADD COLUMN pinned    BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT links_window_order CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at);
