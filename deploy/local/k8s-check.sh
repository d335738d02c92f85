#!/usr/bin/env bash
# `make k8s-check`: renders the Kustomize base and every overlay and validates
# each rendered object offline against the Kubernetes schemas bundled with
# kubernetes-validate (--strict: unknown fields are errors). Objects of the
# operators' CRDs (CloudNativePG, RabbitMQ) are set aside: their schemas are
# not bundled.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${TOOLS:-target/tools}
if ! command -v kubectl >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null 2>&1 \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
  fi
  command -v kubectl >/dev/null || { echo "k8s-check: kubectl is needed (it renders kustomize offline)"; exit 1; }
fi
if [ ! -x "$TOOLS/venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet kubernetes-validate
fi
mkdir -p "$TOOLS/rendered"
status=0
for target in k8s/base k8s/overlays/*; do
  name=$(basename "$target")
  kubectl kustomize "$target" > "$TOOLS/rendered/$name.yaml"
  "$TOOLS/venv/bin/python" - "$TOOLS/rendered/$name.yaml" "$TOOLS/rendered/$name" <<'PY'
import sys, yaml, os
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
os.makedirs(sys.argv[2], exist_ok=True)
for f in os.listdir(sys.argv[2]):
    os.remove(os.path.join(sys.argv[2], f))
kept = skipped = 0
for i, doc in enumerate(docs):
    if doc["apiVersion"].split("/")[0].endswith(("cnpg.io", "rabbitmq.com")):
        skipped += 1
        continue
    with open(os.path.join(sys.argv[2], f"{i:03d}-{doc['kind']}-{doc['metadata']['name']}.yaml"), "w") as out:
        yaml.safe_dump(doc, out)
    kept += 1
print(f"k8s-check: {os.path.basename(sys.argv[2])}: {kept} objects to validate, {skipped} operator objects set aside")
PY
  if ! "$TOOLS/venv/bin/kubernetes-validate" --strict --quiet "$TOOLS/rendered/$name"/*.yaml; then
    status=1
  fi
done
"$TOOLS/venv/bin/python" deploy/local/deploy_check.py "$TOOLS"/rendered/*.yaml || status=1
[ $status = 0 ] && echo "k8s-check: every rendered object is valid"
exit $status
