#!/usr/bin/env bash
# Measures the figures of the closing notes against a running `make up` stack
# loaded with deploy/bench/load.sh. Prints wrk's latency distribution per
# scenario at concurrency 1 and 32, and the SQL statements per request.
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-10s}
OUT=${OUT:-../../target/bench}
mkdir -p "$OUT"
source ../../.run/secrets.env
DB=postgres://postgres@127.0.0.1:5432

psql "$DB/gridlink_links" -qtA -c "SELECT 'li_' || md5('l' || (random() * 999999)::int) FROM generate_series(1, 20000)" > "$OUT/links.txt"
psql "$DB/gridlink_links" -qtA -c "SELECT 'gr_' || md5('g' || (random() * 99999)::int) FROM generate_series(1, 20000)" > "$OUT/grids.txt"
psql "$DB/gridlink_links" -qtA -c "SELECT 'user_' || lpad((random() * 9999)::int::text, 5, '0') FROM generate_series(1, 20000)" > "$OUT/users.txt"
psql "$DB/gridlink_links" -qtA -c "SELECT 'us_' || md5('u' || (random() * 9999)::int) FROM generate_series(1, 20000)" > "$OUT/user_ids.txt"
psql "$DB/gridlink_links" -qtA -c "
  SELECT json_build_object('grids', (SELECT json_agg('gr_' || md5('g' || (u * 10 + k))) FROM generate_series(0, 9) k))
  FROM (SELECT (random() * 9999)::int AS u FROM generate_series(1, 5000)) s" > "$OUT/batches.txt"

statements() { curl -fsS "$1/metrics" | awk '/^db_statements_total/ {print $2}'; }
served() { curl -fsS "$1/metrics" | awk '/^http_requests_total/ && !/route="\/metrics"/ {s += $2} END {print s + 0}'; }

scenario() { # name url-base lines path-prefix [extra env...]
  local name=$1 base=$2 lines=$3 prefix=$4; shift 4
  for c in 1 32; do
    local t=$(( c < 2 ? 1 : 2 ))
    echo "== $name, concurrency $c"
    env LINES="$OUT/$lines" PATH_PREFIX="$prefix" "$@" \
      wrk -t"$t" -c"$c" -d"$DURATION" --latency -s lines.lua "$base" | grep -E "Latency  |50%|90%|99%|Requests/sec|Non-2xx|requests in"
  done
}

scenario "link detail (links service)" http://127.0.0.1:8083 links.txt /api/v1/links/
scenario "link detail (gateway)" http://127.0.0.1:8080 links.txt /api/v1/links/
scenario "page of a grid's links (links service)" http://127.0.0.1:8083 grids.txt "/api/v1/links?grid="
scenario "page of a grid's links (gateway)" http://127.0.0.1:8080 grids.txt "/api/v1/links?grid="
scenario "batch of 10 grids' links (links, internal)" http://127.0.0.1:8083 batches.txt /internal/v1/links/batch BODY=1 TOKEN="$GATEWAY_TOKEN"
scenario "grid by slug (grids service)" http://127.0.0.1:8082 grids.txt /api/v1/grids/
scenario "user by username (auth, internal)" http://127.0.0.1:8081 users.txt /internal/v1/users/by-username/ TOKEN="$GATEWAY_TOKEN"
scenario "public grids of an owner (grids, internal)" http://127.0.0.1:8082 user_ids.txt "/internal/v1/grids?owner=" TOKEN="$GATEWAY_TOKEN"
scenario "profile page (gateway)" http://127.0.0.1:8080 users.txt /api/v1/profiles/

echo "== SQL statements per request"
for check in "links:8083:/api/v1/links/$(head -1 "$OUT/links.txt")" "links:8083:/api/v1/links?grid=$(head -1 "$OUT/grids.txt")" "grids:8082:/api/v1/grids/$(head -1 "$OUT/grids.txt")"; do
  IFS=: read -r svc port path <<< "$check"
  before=$(statements "http://127.0.0.1:$port"); curl -fsS -o /dev/null "http://127.0.0.1:$port$path"; after=$(statements "http://127.0.0.1:$port")
  echo "$svc $path: $((after - before)) statement(s)"
done
user=$(head -1 "$OUT/users.txt")
declare -A before
for port in 8081 8082 8083; do before[$port]=$(statements "http://127.0.0.1:$port"); done
curl -fsS -o /dev/null "http://127.0.0.1:8080/api/v1/profiles/$user"
for port in 8081 8082 8083; do echo "profile of $user: $(( $(statements "http://127.0.0.1:$port") - before[$port] )) statement(s) on :$port"; done

echo "== RSS (KiB) after load"
for svc in auth grids links gateway; do echo "$svc $(ps -o rss= -p "$(cat ../../.run/$svc.pid)")"; done
