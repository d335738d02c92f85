-- Links. `grid` (the grid's slug) and `owner` (the user's id) are virtual
-- foreign keys into the grids and auth services: deleting a user's links
-- needs nothing but this table.
CREATE TABLE links (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    grid        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    background  TEXT,
    width       SMALLINT NOT NULL DEFAULT 1 CHECK (width BETWEEN 1 AND 4),
    height      SMALLINT NOT NULL DEFAULT 1 CHECK (height BETWEEN 1 AND 4),
    -- 0-based place in the grid; NULL once deleted. Live positions of a grid
    -- are 0..n-1. Checked at commit so a reorder can pass through duplicates.
    position    INTEGER CHECK (position >= 0),
    created_on  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    is_deleted  BOOLEAN NOT NULL DEFAULT false,
    deleted_on  TIMESTAMPTZ,
    search      TSVECTOR GENERATED ALWAYS AS (
                    to_tsvector('simple', title || ' ' || translate(url, '/:.?=&-_', '        '))
                ) STORED,
    CONSTRAINT links_grid_position_key UNIQUE (grid, position) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT links_position_when_live CHECK (is_deleted OR position IS NOT NULL)
);
-- The (grid, position) constraint's index serves pages of a grid and the
-- batch of many grids. Search ranks the caller's own links.
CREATE INDEX links_search_idx ON links USING GIN (search);
CREATE INDEX links_owner_idx ON links (owner) WHERE NOT is_deleted;
