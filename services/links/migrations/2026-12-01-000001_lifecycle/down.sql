ALTER TABLE links
    DROP CONSTRAINT links_window_order,
    DROP COLUMN pinned,
    DROP COLUMN ends_at,
    DROP COLUMN starts_at,
    DROP COLUMN enabled;
