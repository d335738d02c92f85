-- A page asks when its links next change by themselves: the nearest start or
-- end of an enabled link's window. Few links have a window, so this index
-- holds those alone and answers without reading a grid's other links.
-- Built concurrently: safe on a large table in production.
CREATE INDEX CONCURRENTLY IF NOT EXISTS links_scheduled_idx ON links (grid)
    WHERE enabled AND NOT is_deleted AND (starts_at IS NOT NULL OR ends_at IS NOT NULL);
