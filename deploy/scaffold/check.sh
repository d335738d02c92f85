#!/usr/bin/env bash
# Part of `make test`: proves `make new-service` in a temporary copy of the
# repository. The generated service's tests pass, the manifests stay valid,
# and the scaffold changes nothing but the files it is meant to touch.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
name=scaffoldcheck
work=$(mktemp -d "${TMPDIR:-/tmp}/gridlink-scaffold.XXXXXX")
trap 'rm -rf "$work"' EXIT

git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"
cd "$work"
git init -q && git add -A && git -c user.name=scaffold -c user.email=scaffold@localhost commit -qm copy

# The copy shares the main target directory: only workspace crates rebuild.
export CARGO_TARGET_DIR="$root/target"
make -s new-service NAME=$name
cargo test -q -p $name --tests 2>&1 | grep -E '^test result|FAILED|panicked' || true
cargo test -q -p $name --tests > /dev/null

expected="Cargo.lock Cargo.toml README.md deploy/docker-compose.yml deploy/postgres/init.sql \
deploy/prometheus/prometheus.yml \
deploy/services.tsv k8s/base/$name-config.yaml k8s/base/$name-migrate.yaml \
k8s/base/$name-network.yaml k8s/base/$name.yaml k8s/base/kustomization.yaml \
k8s/base/secret.example.yaml k8s/overlays/dev/kustomization.yaml k8s/overlays/dev/postgres.yaml \
k8s/overlays/prod/databases.yaml proto-docs/$name.openapi.json services/$name/"
changed=$(git status --porcelain --untracked-files=normal | awk '{print $2}' | sort | tr '\n' ' ')
unexpected=""
for path in $changed; do
  case " $expected " in *" $path "*) ;; *) unexpected+=" $path" ;; esac
done
[ -z "$unexpected" ] || { echo "scaffold-check: make new-service touched$unexpected"; exit 1; }

TOOLS="$root/target/tools" deploy/local/k8s-check.sh | tail -n 1
echo "scaffold-check: make new-service NAME=$name gives a service whose tests pass"
