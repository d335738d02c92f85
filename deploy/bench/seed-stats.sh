#!/usr/bin/env bash
# Seeds a year of counts for the links of the benchmark's first account
# (user_00000): four quarter-hour buckets a day with clicks and two distinct
# visitors each, straight into the analytics database, so the stats-year
# scenario reads a year of a link's daily series. Idempotent.
set -euo pipefail
SERVER=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
psql_db() { psql "$SERVER/$1" -v ON_ERROR_STOP=1 -qtA "${@:2}"; }

owner=$(psql_db gridlink_auth -c "SELECT slug FROM users WHERE username = 'user_00000'")
[ -n "$owner" ] || { echo "seed-stats: no user_00000: load the dataset first (make bench-load)" >&2; exit 1; }
if [ "$(psql_db gridlink_analytics -c "SELECT count(*) > 0 FROM link_counts WHERE owner = '$owner' AND bucket < now() - interval '300 days'")" = t ]; then
  exit 0
fi
links=$(psql_db gridlink_links -c "SELECT string_agg(slug || ':' || grid, ',') FROM links WHERE owner = '$owner' AND NOT is_deleted")
psql_db gridlink_analytics -c "
  WITH link AS (
    SELECT split_part(l, ':', 1) AS link, split_part(l, ':', 2) AS grid
    FROM unnest(string_to_array('$links', ',')) AS l
  ), bucket AS (
    SELECT date_trunc('day', now()) - d * interval '1 day' + h * interval '6 hours' AS at
    FROM generate_series(1, 365) AS d, generate_series(0, 3) AS h
  ), counted AS (
    INSERT INTO link_counts (link, bucket, owner, grid, clicks, bot_clicks)
    SELECT link, at, '$owner', grid, 1 + (random() * 20)::int, (random() * 3)::int
    FROM link, bucket
    ON CONFLICT DO NOTHING
    RETURNING link, bucket
  )
  INSERT INTO visitors (subject, bucket, visitor, owner)
  SELECT link, bucket, md5(link || bucket || v), '$owner'
  FROM counted, generate_series(1, 2) AS v
  ON CONFLICT DO NOTHING"
echo "seed-stats: a year of counts for $(echo "$links" | tr ',' '\n' | wc -l) links of user_00000"
# As autovacuum would soon: the visibility map lets series be read from the
# indexes alone.
psql_db gridlink_analytics -c "VACUUM ANALYZE link_counts"
psql_db gridlink_analytics -c "VACUUM ANALYZE visitors"
