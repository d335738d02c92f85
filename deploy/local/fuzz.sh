#!/usr/bin/env bash
# `make fuzz`: schemathesis against the running gateway (start it with
# `make up`), driven by the gateway's own OpenAPI document, with a real access
# token. Checks: no server errors, documented status codes, content types and
# response schemas. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
GATEWAY=${GATEWAY_URL:-http://127.0.0.1:8080}
TOOLS=target/tools
if [ ! -x "$TOOLS/venv/bin/schemathesis" ]; then
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet schemathesis
fi
curl -fsS -o /dev/null "$GATEWAY/readyz" || { echo "fuzz: no gateway at $GATEWAY (make up first)"; exit 1; }
name="fuzz_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
token=$(curl -fsS -X POST "$GATEWAY/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"username\":\"$name\",\"email\":\"$name@fuzz.example\",\"password\":\"fuzzing passphrase 2026\"}" \
  | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
exec "$TOOLS/venv/bin/schemathesis" run "$GATEWAY/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --max-examples "${FUZZ_EXAMPLES:-50}" --workers 2 \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
