#!/usr/bin/env bash
# `make up`: the whole stack on this machine. Finds or starts PostgreSQL,
# RabbitMQ and Redis, creates the databases, builds the services, runs their
# migrations, starts them in the background, and waits until each is ready.
# State (pids, logs, development secrets) lives in .run/; `make down` stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROFILE=${PROFILE:-release}
RUN=.run
SERVICES=()
declare -A ADDR ADMIN DATABASE
while read -r name port admin database; do
  SERVICES+=("$name")
  ADDR[$name]=127.0.0.1:$port
  ADMIN[$name]=127.0.0.1:$admin
  DATABASE[$name]=$database
done < <(grep -v '^#' deploy/services.tsv)

mkdir -p "$RUN/logs"
deploy/local/infra.sh
deploy/local/databases.sh

echo "up: building (${PROFILE}) ..."
if [ "$PROFILE" = release ]; then
  cargo build --release --bins -q
else
  cargo build --bins -q
fi
BIN=target/$([ "$PROFILE" = release ] && echo release || echo debug)

# Development secrets, generated once and kept in .run/ (never committed).
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f "$RUN/secrets.env" ]; then
  "$BIN/auth" generate-key > "$RUN/signing-key.pem"
  echo "CURSOR_SECRET=$(token)" > "$RUN/secrets.env"
  chmod 600 "$RUN/secrets.env" "$RUN/signing-key.pem"
fi
# A service token for every service (one added since the secrets were made too).
for service in "${SERVICES[@]}"; do
  var="$(echo "$service" | tr '[:lower:]-' '[:upper:]_')_TOKEN"
  grep -q "^$var=" "$RUN/secrets.env" || echo "$var=$(token)" >> "$RUN/secrets.env"
done
# shellcheck disable=SC1091
source "$RUN/secrets.env"
export AUTH_SIGNING_KEY_FILE="$PWD/$RUN/signing-key.pem"
export CURSOR_SECRET
INTERNAL_TOKENS=""
for service in "${SERVICES[@]}"; do
  var="$(echo "$service" | tr '[:lower:]-' '[:upper:]_')_TOKEN"
  INTERNAL_TOKENS+="${INTERNAL_TOKENS:+,}$service:${!var}"
done
export INTERNAL_TOKENS
export RUST_LOG=${RUST_LOG:-info}
# The gateway's page cache and rate limits live in the local Redis.
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
# Browser apps on the usual local dev-server ports can call the gateway.
export CORS_ALLOWED_ORIGINS=${CORS_ALLOWED_ORIGINS:-http://localhost:3000,http://localhost:5173}

deploy/local/down.sh --quiet
for service in "${SERVICES[@]}"; do
  # Services sit behind the gateway on this machine and believe its
  # X-Forwarded-For; the gateway faces clients and believes nobody.
  db_env=(TRUSTED_PROXIES=)
  if [ "${DATABASE[$service]}" = database ]; then
    db_env=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/gridlink_$service" TRUSTED_PROXIES=127.0.0.1)
  fi
  env "${db_env[@]}" "$BIN/$service" migrate > "$RUN/logs/$service-migrate.log" 2>&1 \
    || { echo "up: $service migrations failed, see $RUN/logs/$service-migrate.log"; exit 1; }
  upper=$(echo "$service" | tr '[:lower:]-' '[:upper:]_')
  token_var="${upper}_TOKEN"
  env "${db_env[@]}" "${upper}_ADDR=${ADDR[$service]}" "ADMIN_ADDR=${ADMIN[$service]}" \
    "SERVICE_TOKEN=${!token_var:-}" "$BIN/$service" serve \
    >> "$RUN/logs/$service.log" 2>&1 &
  echo $! > "$RUN/$service.pid"
done

for service in "${SERVICES[@]}"; do
  for _ in $(seq 1 120); do
    curl -fsS "http://${ADDR[$service]}/readyz" > /dev/null 2>&1 && break
    if ! kill -0 "$(cat "$RUN/$service.pid")" 2>/dev/null; then
      echo "up: $service exited, see $RUN/logs/$service.log"; exit 1
    fi
    sleep 0.5
  done
  curl -fsS "http://${ADDR[$service]}/readyz" > /dev/null || { echo "up: $service is not ready"; exit 1; }
  echo "up: $service ready on http://${ADDR[$service]} (metrics on http://${ADMIN[$service]}/metrics)"
done
echo "up: Gridlink is running at http://${ADDR[gateway]} (API docs: http://${ADDR[gateway]}/api/v1/docs)."
echo "up: logs in $RUN/logs/, stop with 'make down'."
