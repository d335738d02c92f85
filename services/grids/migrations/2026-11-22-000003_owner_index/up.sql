-- Erasing a deleted user removes all their grids, tombstones included, so the
-- owner lookup needs an index over every row (the listing indexes cover live
-- grids only). Built concurrently: safe on a large table in production.
CREATE INDEX CONCURRENTLY IF NOT EXISTS grids_owner_all_idx ON grids (owner);
