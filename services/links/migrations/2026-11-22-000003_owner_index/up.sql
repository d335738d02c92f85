-- Erasing a deleted user removes all their rows, tombstones included, so the
-- owner lookup needs an index over every row (the other one covers live rows
-- only). Built concurrently: safe on a large table in production.
CREATE INDEX CONCURRENTLY IF NOT EXISTS links_owner_all_idx ON links (owner);
