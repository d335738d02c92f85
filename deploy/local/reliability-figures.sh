#!/usr/bin/env bash
# Prints the figures the fault and abuse tests recorded in target/reliability/
# (see RELIABILITY.md), one line per test.
set -euo pipefail
cd "$(dirname "$0")/../.."
shopt -s nullglob
files=(target/reliability/*.json)
[ ${#files[@]} -gt 0 ] || exit 0
echo "reliability figures:"
for file in "${files[@]}"; do
  printf '  %-40s %s\n' "$(basename "$file" .json)" "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(", ", ": ")))' "$file")"
done
