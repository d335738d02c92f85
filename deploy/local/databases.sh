#!/usr/bin/env bash
# Creates each service's database if missing. With --sweep-tests, also drops
# databases, queues and RabbitMQ nodes left behind by test runs that were
# killed (gltest_*, gltest-*).
set -euo pipefail
SERVER=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
psql_admin() { psql "$SERVER/postgres" -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "${1:-}" = "--sweep-tests" ]; then
  for db in $(psql_admin -c "SELECT datname FROM pg_database WHERE datname LIKE 'gltest\_%'"); do
    psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  done
  # Queues and exchanges of killed end-to-end test runs (gltest-*).
  if command -v rabbitmqctl >/dev/null; then
    for q in $(timeout 60 rabbitmqctl list_queues name -q 2>/dev/null | grep '^gltest-' || true); do
      timeout 20 rabbitmqctl delete_queue "$q" >/dev/null 2>&1 || true
    done
    for x in $(timeout 60 rabbitmqctl list_exchanges name -q 2>/dev/null | grep '^gltest-' || true); do
      timeout 20 rabbitmqctl delete_exchange "$x" >/dev/null 2>&1 || true
    done
  fi
  # RabbitMQ nodes and service binaries that killed crash tests started,
  # known by the test names in their environment; then the nodes' data.
  for pid in $(pgrep -f 'beam.smp' || true) $(pgrep -x links || true); do
    if grep -zEqs '^(RABBITMQ_NODENAME|EVENTS_QUEUE_PREFIX)=gltest-' "/proc/$pid/environ"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "${TMPDIR:-/tmp}"/gltest-*
  exit 0
fi

cd "$(dirname "$0")/../.."
for db in $(awk '!/^#/ && $4 == "database" {print "gridlink_" $1}' deploy/services.tsv); do
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql_admin -c "CREATE DATABASE $db" >/dev/null
    echo "databases: created $db" >&2
  fi
done
