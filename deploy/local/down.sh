#!/usr/bin/env bash
# `make down`: stops the services `make up` started (SIGTERM, so in-flight
# requests finish), leaving PostgreSQL, RabbitMQ and Redis as they were.
set -euo pipefail
cd "$(dirname "$0")/../.."
quiet=${1:-}
shopt -s nullglob
for pidfile in .run/*.pid; do
  pid=$(cat "$pidfile")
  name=$(basename "$pidfile" .pid)
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    [ -n "$quiet" ] || echo "down: stopped $name"
  fi
  rm -f "$pidfile"
done
