#!/usr/bin/env bash
# `make new-service NAME=x`: scaffolds services/x from the kit's template
# (see new_service.py), then generates its OpenAPI document, so the new
# service builds and its tests pass at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: new-service.sh NAME}
python3 deploy/scaffold/new_service.py "$name"
cargo fmt -p "$name"
echo "new-service: building $name and writing proto-docs/$name.openapi.json ..."
UPDATE_OPENAPI=1 cargo test -q -p "$name" --test api -- proto_docs > /dev/null
echo "new-service: done. Next: cargo test -p $name, then make up."
