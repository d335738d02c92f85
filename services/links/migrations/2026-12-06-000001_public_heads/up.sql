-- Each grid's first public links as the visitors' pages show them, rendered
-- once (src/heads.rs): a page reads one row per grid instead of reading,
-- sorting and encoding every link on it.
--
-- A head is written only under its grid's lock (the one writers of the
-- grid's links take), by every write to the grid's links in the write's own
-- transaction, and by a reader that finds it missing, of another `format`
-- or past `changes_at`. So a head never holds what a committed write
-- replaced. `owner` is whose links it shows (NULL for a grid with none),
-- for erasure.
CREATE TABLE public_heads (
    grid           TEXT PRIMARY KEY,
    owner          TEXT,
    -- The rendering's version: a head of another is rendered again.
    format         INTEGER NOT NULL,
    -- A JSON array of the first public links (PublicLink), pinned first;
    -- lz4 reads back faster than the default pglz.
    items          TEXT COMPRESSION lz4 NOT NULL,
    -- The last item's place when the grid has more public links.
    after_pinned   BOOLEAN,
    after_position INTEGER,
    -- When the head next changes by itself (a link's window opens or
    -- closes): it is not read from then on.
    changes_at     TIMESTAMPTZ,
    CHECK ((after_pinned IS NULL) = (after_position IS NULL))
);

CREATE INDEX public_heads_owner ON public_heads (owner);
