#!/usr/bin/env bash
# Part of `make test`: every OpenAPI document in proto-docs/ must pass Redocly
# CLI (its `recommended` rules) and Spectral (`spectral:oas`) with no errors.
# Both are npm packages pinned in deploy/lint/package-lock.json; they run
# offline once installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINT=deploy/lint
command -v npm >/dev/null || deploy/local/infra.sh node
# (Re)install when the lock file changes, so every machine runs the same linters.
if ! cmp -s "$LINT/package-lock.json" "$LINT/node_modules/.installed-lock.json" 2>/dev/null; then
  (cd "$LINT" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$LINT/package-lock.json" "$LINT/node_modules/.installed-lock.json"
fi
status=0
for document in proto-docs/*.openapi.json; do
  redocly=$("$LINT/node_modules/.bin/redocly" lint --extends recommended --format summary "$document" 2>&1) || true
  spectral=$("$LINT/node_modules/.bin/spectral" lint --ruleset "$LINT/.spectral.yaml" --format text "$document" 2>&1) || true
  redocly_errors=$(grep -oE 'failed with [0-9]+ errors?' <<<"$redocly" | grep -oE '[0-9]+' || echo 0)
  spectral_errors=$(grep -cE '^\S+:[0-9]+:[0-9]+ error ' <<<"$spectral" || true)
  echo "openapi-lint: $document: redocly $redocly_errors errors, spectral $spectral_errors errors"
  if [ "$redocly_errors" != 0 ] || [ "$spectral_errors" != 0 ]; then
    echo "$redocly"; echo "$spectral"; status=1
  fi
done
exit $status
