-- The links service's own copy of each grid's owner and visibility, so that
-- reading a link is one statement here and no call to the grids service.
-- A read that finds no usable copy asks the grids service and fills it in.
-- `grid.changed` sets a copy aside (owner and visibility NULL) at
-- `invalidated_at`; a fill whose question was asked before that moment is
-- refused, so a slow read never writes back what a change has replaced.
CREATE TABLE grid_copies (
    slug           TEXT PRIMARY KEY,
    owner          TEXT,
    visibility     TEXT CHECK (visibility IN ('public', 'unlisted', 'private')),
    filled_at      TIMESTAMPTZ,
    invalidated_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);

-- Erasing a user finds their copies.
CREATE INDEX grid_copies_owner ON grid_copies (owner);
