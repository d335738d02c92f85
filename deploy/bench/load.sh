#!/usr/bin/env bash
# Loads the seed-scale dataset: users user_00000 … user_09999, each with 10
# public grids of 10 links (1,000,000 links), straight into each service's own
# database through that service's schema. Every user's password is
# "benchmark passphrase 2026".
# Safe to re-run: a database that already holds the data is skipped.
# Needs the databases migrated (make up does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
USERS=${BENCH_USERS:-10000}
psql_db() { psql "$SERVER/$1" -v ON_ERROR_STOP=1 -qtA "${@:2}"; }

AUTH_URL=${AUTH_URL:-http://127.0.0.1:8081}
PASSWORD="benchmark passphrase 2026"

# Real argon2id hashes of the benchmark password, made by the auth service
# itself: ACCOUNTS seed users sign up. The first ACCOUNTS benchmark users
# (user_00000 …) get one each: the benchmark logs in and writes as them.
# Everyone else shares the first hash, which costs nothing to load.
ACCOUNTS=${BENCH_ACCOUNTS:-32}
for k in $(seq 0 $((ACCOUNTS - 1))); do
  curl -fsS -o /dev/null -X POST "$AUTH_URL/api/v1/auth/signup" -H 'content-type: application/json' \
    -d "{\"username\":\"bench_seed_$k\",\"email\":\"bench_seed_$k@bench.example\",\"password\":\"$PASSWORD\"}" 2>/dev/null || true
done
HASH=$(psql_db gridlink_auth -c "SELECT password_hash FROM users WHERE username = 'bench_seed_0'")
if [ -z "$HASH" ]; then
  echo "bench-load: the auth service must be running at $AUTH_URL (make up)" >&2
  exit 1
fi

loaded() { [ "$(psql_db "$1" -c "SELECT count(*) >= $2 FROM $3 WHERE $4")" = t ]; }

started=$(date +%s)
if loaded gridlink_auth "$USERS" users "username LIKE 'user\_%'"; then
  echo "bench-load: users already loaded"
else
  psql_db gridlink_auth -c "
    INSERT INTO users (slug, username, email, display_name, bio, password_hash)
    SELECT 'us_' || md5('u' || i), 'user_' || lpad(i::text, 5, '0'), 'user_' || lpad(i::text, 5, '0') || '@bench.example',
           'User ' || i, 'Benchmark user ' || i, '$HASH'
    FROM generate_series(0, $USERS - 1) AS i
    ON CONFLICT DO NOTHING;
    ANALYZE users;"
  echo "bench-load: users loaded"
fi

if loaded gridlink_grids "$((USERS * 10))" grids "title LIKE 'Bench grid %'"; then
  echo "bench-load: grids already loaded"
else
  psql_db gridlink_grids -c "
    INSERT INTO grids (slug, owner, title, description, visibility)
    SELECT 'gr_' || md5('g' || i), 'us_' || md5('u' || (i / 10)), 'Bench grid ' || i, 'Grid ' || (i % 10) || ' of its owner', 'public'
    FROM generate_series(0, $USERS * 10 - 1) AS i
    ON CONFLICT DO NOTHING;
    ANALYZE grids;"
  echo "bench-load: grids loaded"
fi

if loaded gridlink_links "$((USERS * 100))" links "title LIKE 'Bench link %'"; then
  echo "bench-load: links already loaded"
else
  psql_db gridlink_links -c "
    SET maintenance_work_mem = '256MB';
    INSERT INTO links (slug, grid, owner, title, url, width, height, position)
    SELECT 'li_' || md5('l' || i), 'gr_' || md5('g' || (i / 10)), 'us_' || md5('u' || (i / 100)),
           'Bench link ' || i, 'https://example.com/bench/' || i, 1 + i % 2, 1, i % 10
    FROM generate_series(0, $USERS * 100 - 1) AS i
    ON CONFLICT (slug) DO NOTHING;
    ANALYZE links;"
  echo "bench-load: links loaded"
fi
# The links service renders each grid's first public links once, when they
# are written through it (its `public_heads`); links loaded here by SQL have
# none. Asking its batch for every such grid renders them, as the writes
# would have: a page miss then costs what it costs for any page written
# through the API.
LINKS_URL=${LINKS_URL:-http://127.0.0.1:8083}
GATEWAY_TOKEN=${GATEWAY_TOKEN:-$(sed -n 's/^GATEWAY_TOKEN=//p' .run/secrets.env 2>/dev/null)}
unrendered="FROM (SELECT DISTINCT grid FROM links WHERE NOT is_deleted) g
  WHERE NOT EXISTS (SELECT 1 FROM public_heads h WHERE h.grid = g.grid)"
if [ "$(psql_db gridlink_links -c "SELECT count(*) $unrendered")" != 0 ]; then
  rendering=$(date +%s)
  psql_db gridlink_links -c "SELECT grid $unrendered" \
    | awk '{ printf "%s\"%s\"", (NR % 200 == 1 ? "" : ","), $0 } NR % 200 == 0 { print "" }' \
    | xargs -d '\n' -P 2 -I{} curl -fsS -o /dev/null -X POST "$LINKS_URL/internal/v1/links/batch" \
        -H "authorization: Bearer $GATEWAY_TOKEN" -H 'content-type: application/json' \
        -d '{"grids":[{}]}'
  echo "bench-load: links' page heads rendered in $(( $(date +%s) - rendering ))s"
fi
psql_db gridlink_auth -c "
  UPDATE users u SET password_hash = seed.password_hash
  FROM users seed
  WHERE seed.username = 'bench_seed_' || substr(u.username, 6)::int
    AND u.username IN (SELECT 'user_' || lpad(k::text, 5, '0') FROM generate_series(0, $ACCOUNTS - 1) k)
    AND u.password_hash IS DISTINCT FROM seed.password_hash"
echo "bench-load: done in $(( $(date +%s) - started ))s"
