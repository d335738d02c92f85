#!/usr/bin/env bash
# `make up`: the whole stack on this machine. Finds or starts PostgreSQL,
# RabbitMQ and Redis, creates the databases, builds the services, runs their
# migrations, starts them in the background, and waits until each is ready.
# State (pids, logs, development secrets) lives in .run/; `make down` stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROFILE=${PROFILE:-release}
RUN=.run
SERVICES=(auth grids links gateway)
declare -A ADDR=([auth]=127.0.0.1:8081 [grids]=127.0.0.1:8082 [links]=127.0.0.1:8083 [gateway]=127.0.0.1:8080)

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
if [ ! -f "$RUN/secrets.env" ]; then
  token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  "$BIN/auth" generate-key > "$RUN/signing-key.pem"
  cat > "$RUN/secrets.env" <<EOT
AUTH_TOKEN=$(token)
GATEWAY_TOKEN=$(token)
GRIDS_TOKEN=$(token)
LINKS_TOKEN=$(token)
CURSOR_SECRET=$(token)
EOT
  chmod 600 "$RUN/secrets.env" "$RUN/signing-key.pem"
fi
# shellcheck disable=SC1091
source "$RUN/secrets.env"
export AUTH_SIGNING_KEY_FILE="$PWD/$RUN/signing-key.pem"
export CURSOR_SECRET
export INTERNAL_TOKENS="auth:$AUTH_TOKEN,gateway:$GATEWAY_TOKEN,grids:$GRIDS_TOKEN,links:$LINKS_TOKEN"
export RUST_LOG=${RUST_LOG:-info}

deploy/local/down.sh --quiet
for service in "${SERVICES[@]}"; do
  # Services sit behind the gateway on this machine and believe its
  # X-Forwarded-For; the gateway faces clients and believes nobody.
  db_env=(TRUSTED_PROXIES=)
  case $service in
    auth | grids | links)
      db_env=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/gridlink_$service" TRUSTED_PROXIES=127.0.0.1) ;;
  esac
  env "${db_env[@]}" "$BIN/$service" migrate > "$RUN/logs/$service-migrate.log" 2>&1 \
    || { echo "up: $service migrations failed, see $RUN/logs/$service-migrate.log"; exit 1; }
  upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
  token_var="${upper}_TOKEN"
  env "${db_env[@]}" "${upper}_ADDR=${ADDR[$service]}" "SERVICE_TOKEN=${!token_var:-}" "$BIN/$service" serve \
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
  echo "up: $service ready on http://${ADDR[$service]}"
done
echo "up: Gridlink is running at http://${ADDR[gateway]} (API docs: http://${ADDR[gateway]}/api/v1/docs)."
echo "up: logs in $RUN/logs/, stop with 'make down'."
