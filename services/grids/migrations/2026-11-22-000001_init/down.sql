DROP TABLE outbox;
DROP TABLE grids;
