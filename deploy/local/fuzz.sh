#!/usr/bin/env bash
# `make fuzz`: schemathesis against the running gateway (start it with
# `make up`), driven by the gateway's own OpenAPI document, with a real access
# token. Every check runs: no server errors, documented status codes, content
# types, headers and response schemas, schema-valid requests accepted and
# invalid ones refused, 405s with Allow, ignored auth (see schemathesis.toml
# for the two rules JSON Schema cannot say). Exits non-zero on any failure. One worker: with two,
# hypothesis parses source from two threads at once, and CPython 3.11 can then
# fail with "AST constructor recursion depth mismatch" (a crash of the tool,
# not a finding).
set -euo pipefail
cd "$(dirname "$0")/../.."
GATEWAY=${GATEWAY_URL:-http://127.0.0.1:8080}
TOOLS=target/tools
PINS=deploy/local/fuzz-requirements.txt
# (Re)install when the pins change, so every machine runs the same fuzzer.
if ! cmp -s "$PINS" "$TOOLS/venv/pins.txt"; then
  rm -rf "$TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet -r "$PINS"
  cp "$PINS" "$TOOLS/venv/pins.txt"
fi
curl -fsS -o /dev/null "$GATEWAY/readyz" || { echo "fuzz: no gateway at $GATEWAY (make up first)"; exit 1; }
# Every request comes from this machine's address, and a fuzzer's signups
# hit taken names by the hundred: start it with that address's budget of
# refused signups fresh (an earlier run spent it), on the local stack only.
psql "${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}/gridlink_auth" -qtAc \
  "DELETE FROM login_throttle WHERE key LIKE 'signup-conflict:%'" > /dev/null 2>&1 || true
name="fuzz_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
token=$(curl -fsS -X POST "$GATEWAY/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"username\":\"$name\",\"email\":\"$name@fuzz.example\",\"password\":\"fuzzing passphrase 2026\"}" \
  | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
exec "$TOOLS/venv/bin/schemathesis" --config-file deploy/local/schemathesis.toml \
  run "$GATEWAY/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --max-examples "${FUZZ_EXAMPLES:-50}" --workers 1 \
  --phases examples,coverage,fuzzing \
  --checks all
