#!/usr/bin/env bash
# Makes sure PostgreSQL, RabbitMQ and Redis answer on their local ports:
# starts them when installed but stopped, installs them from Debian/Ubuntu
# packages when missing (as root), and otherwise stops with what to install.
# Also installs Node.js and npm when missing (the OpenAPI linters and the
# local mail catcher run on them), and zbar's decoder (the QR code tests).
# Starts MailDev, the SMTP server that catches the local stack's and the
# tests' mail (SMTP 127.0.0.1:1025, web UI and REST API
# http://127.0.0.1:1080), installed from npm (deploy/mail/package-lock.json).
# Usage: deploy/local/infra.sh [postgres] [rabbitmq] [redis] [node] [zbar] [maildev]   (default: all)
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
AMQP_PORT=${AMQP_PORT:-5672}
REDIS_PORT=${REDIS_PORT:-6379}
SMTP_PORT=${SMTP_PORT:-1025}
MAILDEV_WEB_PORT=${MAILDEV_WEB_PORT:-1080}

say() { printf 'infra: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port name seconds
  local i
  for ((i = 0; i < $4 * 4; i++)); do
    port_open "$1" "$2" && return 0
    sleep 0.25
  done
  say "$3 did not come up on $1:$2 within $4s"
  return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "$1 is not installed. Install it (Debian/Ubuntu: apt-get install $*) and run again."
    exit 1
  fi
  say "installing $* from the OS packages"
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres() {
  port_open "$PG_HOST" "$PG_PORT" && return 0
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
  if [ -z "$version" ]; then
    say "PostgreSQL is installed but has no cluster; create one with pg_createcluster"
    exit 1
  fi
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port "$PG_HOST" "$PG_PORT" PostgreSQL 30
}

rabbitmq() {
  port_open 127.0.0.1 "$AMQP_PORT" && return 0
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  say "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_port 127.0.0.1 "$AMQP_PORT" RabbitMQ 90
}

redis() {
  port_open 127.0.0.1 "$REDIS_PORT" && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/gridlink.log
  wait_port 127.0.0.1 "$REDIS_PORT" Redis 20
}

node() {
  command -v npm >/dev/null && return 0
  apt_install nodejs npm
}

# zbarimg: the tests read the QR codes back with a real decoder.
zbar() {
  command -v zbarimg >/dev/null && return 0
  apt_install zbar-tools
}

# MailDev: what `make up` and the tests send mail to.
maildev() {
  port_open 127.0.0.1 "$SMTP_PORT" && return 0
  node
  local dir
  dir=$(cd "$(dirname "$0")/../mail" && pwd)
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json" 2>/dev/null; then
    say "installing MailDev"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"
  fi
  say "starting MailDev (SMTP 127.0.0.1:$SMTP_PORT, web http://127.0.0.1:$MAILDEV_WEB_PORT)"
  mkdir -p "$dir/node_modules/.log"
  setsid nohup "$dir/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp "$SMTP_PORT" \
    --web "$MAILDEV_WEB_PORT" > "$dir/node_modules/.log/maildev.log" 2>&1 < /dev/null &
  wait_port 127.0.0.1 "$SMTP_PORT" MailDev 30
  wait_port 127.0.0.1 "$MAILDEV_WEB_PORT" "MailDev's web API" 30
}

[ $# -gt 0 ] || set -- postgres rabbitmq redis node zbar maildev
for service in "$@"; do "$service"; done
