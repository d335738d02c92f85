#!/usr/bin/env bash
# `make bench`: runs every scenario of the Rust load generator (bench/) against
# the stack `make up` started, loaded by deploy/bench/load.sh. Prints the table
# and writes target/bench/report.json. Extra arguments go to the generator,
# e.g. `deploy/bench/run.sh --scenarios profile --duration 5`.
# The stack must run with raised rate limits (configuration, not code):
#   RATE_LIMIT_ANONYMOUS_PER_MINUTE=1000000000 RATE_LIMIT_USER_PER_MINUTE=1000000000 make up
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f .run/secrets.env ] || { echo "bench: no stack is running (make up)" >&2; exit 1; }
# shellcheck disable=SC1091
source .run/secrets.env
# The same build as `make up` (all binaries), so nothing is rebuilt for it.
cargo build --release --bins --locked -q
deploy/bench/seed-stats.sh
echo "bench: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%dT%H:%MZ)"
GATEWAY_TOKEN=$GATEWAY_TOKEN exec target/release/gridlink-bench "$@"
