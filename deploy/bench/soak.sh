#!/usr/bin/env bash
# `make soak`: a steady mixed load through the gateway (reads, writes, logins,
# and 1% account churn whose deletions fan out over RabbitMQ) for
# SOAK_SECONDS (600) at SOAK_CONCURRENCY (8), against the stack `make up`
# started, loaded by deploy/bench/load.sh. Then it checks what a long run
# would show: no 5xx, memory flat, outboxes and queues back to zero, every
# deletion erased everywhere, no leaked database connections. Figures go to
# target/soak/summary.json. Exits non-zero when a check fails.
# PROFILE=debug drives the stack `PROFILE=debug make up` started (CI does:
# the soak judges behaviour, not speed, and reuses make test's build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${SOAK_SECONDS:-600}
CONCURRENCY=${SOAK_CONCURRENCY:-8}
DB=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
OUT=target/soak
mkdir -p "$OUT"
[ -f .run/secrets.env ] || { echo "soak: no stack is running (make up)" >&2; exit 1; }
# shellcheck disable=SC1091
source .run/secrets.env
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --bins --locked -q
else
  cargo build --bins --locked -q
fi
BIN=target/$([ "$PROFILE" = release ] && echo release || echo debug)

sql() { psql "$DB/$1" -qtAc "$2"; }
connections() { sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'gridlink\_%'"; }
backlog() {
  local outbox=0 queued
  for service in auth grids links analytics mailer; do
    outbox=$((outbox + $(sql "gridlink_$service" "SELECT count(*) FROM outbox WHERE published_at IS NULL")))
  done
  queued=$(rabbitmqctl -q list_queues name messages 2>/dev/null | awk '$1 ~ /^(auth|grids|links|analytics|mailer)\./ {s += $2} END {print s + 0}')
  echo $((outbox + queued))
}
unerased() {
  sql gridlink_auth "SELECT count(*) FROM deleted_users d
    WHERE d.deleted_at > now() - interval '1 day'
      AND (SELECT count(*) FROM erasures e WHERE e.user_id = d.slug) < 4"
}

# Where each service's log stood before the run, to show what it logged
# during it when a check fails.
services=(auth grids links analytics mailer gateway)
declare -A log_lines
for service in "${services[@]}"; do
  log_lines[$service]=$(wc -l < ".run/logs/$service.log" 2>/dev/null || echo 0)
done
logged_trouble() {
  for service in "${services[@]}"; do
    tail -n +"$((log_lines[$service] + 1))" ".run/logs/$service.log" 2>/dev/null \
      | grep -E '"level":"(WARN|ERROR)"' > "$OUT/$service-trouble.log" || true
    [ -s "$OUT/$service-trouble.log" ] || continue
    echo "$service: $(wc -l < "$OUT/$service-trouble.log") warnings and errors ($OUT/$service-trouble.log), the first 10:"
    head -n 10 "$OUT/$service-trouble.log" | cut -c1-400
  done
}

connections_before=$(connections)
started=$(date +%s)
echo "soak: ${SECONDS_TO_RUN}s at concurrency $CONCURRENCY, $connections_before database connections open"
GATEWAY_TOKEN=$GATEWAY_TOKEN "$BIN/gridlink-bench" --scenarios soak \
  --concurrency "$CONCURRENCY" --duration "$SECONDS_TO_RUN" --out "$OUT/report.json"

drain_started=$(date +%s)
for _ in $(seq 1 120); do
  [ "$(backlog)" = 0 ] && [ "$(unerased)" = 0 ] && break
  sleep 0.5
done
drained_in=$(( $(date +%s) - drain_started ))
connections_after=$(connections)
left=$(backlog)
missing=$(unerased)
dead=$(rabbitmqctl -q list_queues name messages 2>/dev/null | awk '$1 ~ /\.dlq$/ {s += $2} END {print s + 0}')
churned=$(sql gridlink_auth "SELECT count(*) FROM deleted_users WHERE deleted_at > to_timestamp($started)")

verdict=0
if python3 - "$OUT" "$connections_before" "$connections_after" "$left" "$missing" "$dead" "$churned" "$drained_in" <<'PY'
import json, sys
out, before, after, left, missing, dead, churned, drained = sys.argv[1:]
row = json.load(open(f"{out}/report.json"))[0]
rss_before, rss_after = row["rss_before_kib"], row["rss_after_kib"]
summary = {
    "seconds": round(row["requests"] / row["rps"]) if row["rps"] else 0, "concurrency": row["concurrency"], "requests": row["requests"],
    "rps": row["rps"], "p50_ms": row["p50_ms"], "p99_ms": row["p99_ms"],
    "errors": row["errors"], "server_errors": row["server_errors"],
    "failures": row.get("failures", [])[:10],
    "accounts_deleted": int(churned), "deletions_not_erased": int(missing),
    "backlog_after": int(left), "dead_letters": int(dead), "drained_in_s": int(drained),
    "rss_mib_before": {k: round(v / 1024, 1) for k, v in rss_before.items()},
    "rss_mib_after": {k: round(v / 1024, 1) for k, v in rss_after.items()},
    "db_connections_before": int(before), "db_connections_after": int(after),
}
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
failures = []
if summary["server_errors"]: failures.append("5xx answers or dropped requests")
# Every scenario says what it expects; any other answer is a failure too
# (a 401 of a session that ended under a writer once passed unnoticed).
if summary["errors"]: failures.append("answers the scenarios did not expect")
if summary["deletions_not_erased"] or summary["backlog_after"] or summary["dead_letters"]:
    failures.append("events left behind")
# Flat memory: a service may settle a little higher once warm, not keep growing.
for service, kib in rss_after.items():
    if kib > rss_before.get(service, kib) * 1.5 + 32 * 1024:
        failures.append(f"{service} memory grew")
if summary["db_connections_after"] > summary["db_connections_before"] + 48:
    failures.append("database connections leaked")
if failures:
    sys.exit("soak: FAILED: " + ", ".join(failures))
print("soak: passed")
PY
then :; else
  verdict=$?
  echo "soak: what the services logged during the run:" >&2
  logged_trouble >&2
fi
exit "$verdict"
