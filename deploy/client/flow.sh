#!/usr/bin/env bash
# The contract as a client generator sees it: generates a Python client from
# the running gateway's served OpenAPI document with openapi-python-client
# (pinned in requirements.txt), then runs flow.py (sign up, grid, links,
# reorder, profile, delete) through it. Run after `make up`, as CI does.
set -euo pipefail
cd "$(dirname "$0")/../.."
GATEWAY=${GATEWAY_URL:-http://127.0.0.1:8080}
TOOLS=target/tools
VENV=$TOOLS/client-venv
PINS=deploy/client/requirements.txt
if ! cmp -s "$PINS" "$VENV/pins.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r "$PINS"
  cp "$PINS" "$VENV/pins.txt"
fi
curl -fsS -o /dev/null "$GATEWAY/readyz" || { echo "client-flow: no gateway at $GATEWAY (make up first)"; exit 1; }
out=$TOOLS/generated-client
rm -rf "$out" && mkdir -p "$out"
(cd "$out" && "$OLDPWD/$VENV/bin/openapi-python-client" generate \
  --url "$GATEWAY/api/v1/openapi.json" --meta none --overwrite > generate.log 2>&1) \
  || { cat "$out/generate.log"; echo "client-flow: the served document did not generate a client"; exit 1; }
if grep -q "Unable to parse\|Could not" "$out/generate.log"; then
  cat "$out/generate.log"; echo "client-flow: parts of the document were skipped"; exit 1
fi
PYTHONPATH="$out" "$VENV/bin/python" deploy/client/flow.py "$GATEWAY"
