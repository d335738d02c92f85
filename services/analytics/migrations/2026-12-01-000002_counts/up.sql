-- Visit counts in quarter-hour buckets (UTC). Every time zone's offset is a
-- whole number of quarter hours, so an hour or a day in any zone the owner
-- picks is a whole number of buckets: one table serves hourly and daily
-- series in every zone, across DST changes.
CREATE TABLE link_counts (
    link       TEXT NOT NULL,
    bucket     TIMESTAMPTZ NOT NULL,
    owner      TEXT NOT NULL,
    grid       TEXT NOT NULL,
    clicks     BIGINT NOT NULL DEFAULT 0,
    bot_clicks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (link, bucket) INCLUDE (clicks, bot_clicks)
);
-- Rows arrive in time order across every link, so a link's year lies on a
-- year of pages; the indexes carry the counts, and series are read from
-- them alone (index-only scans).
CREATE INDEX link_counts_owner_idx ON link_counts (owner, bucket) INCLUDE (link, clicks, bot_clicks);
CREATE INDEX link_counts_grid_idx ON link_counts (grid, bucket) INCLUDE (link, clicks);

-- `page` is the owner's id for their profile, a grid's slug for its page.
CREATE TABLE page_counts (
    page      TEXT NOT NULL,
    bucket    TIMESTAMPTZ NOT NULL,
    owner     TEXT NOT NULL,
    views     BIGINT NOT NULL DEFAULT 0,
    bot_views BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (page, bucket) INCLUDE (views)
);
CREATE INDEX page_counts_owner_idx ON page_counts (owner, bucket) INCLUDE (views);

-- Who visited, as keyed hashes under a secret that lived one UTC day and
-- is gone: a hash tells visitors apart within its day and identifies no
-- one. `subject` is a link's slug (its visitors) or the owner's id (the
-- visitors of any of their pages or links). Bots are not visitors.
CREATE TABLE visitors (
    subject TEXT NOT NULL,
    bucket  TIMESTAMPTZ NOT NULL,
    visitor TEXT NOT NULL,
    owner   TEXT NOT NULL,
    PRIMARY KEY (subject, bucket, visitor)
);
CREATE INDEX visitors_owner_idx ON visitors (owner);

-- A link's clicks by source (`?src=`), referrer host and device, per UTC day.
CREATE TABLE link_facets (
    link   TEXT NOT NULL,
    day    DATE NOT NULL,
    facet  TEXT NOT NULL CHECK (facet IN ('source', 'referrer', 'device')),
    value  TEXT NOT NULL,
    owner  TEXT NOT NULL,
    clicks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (link, day, facet, value)
);
CREATE INDEX link_facets_owner_idx ON link_facets (owner);

-- When an owner last reset a link's counts: clicks made before are not
-- counted, even if their batch arrives later.
CREATE TABLE link_resets (
    link     TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    reset_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX link_resets_owner_idx ON link_resets (owner);
