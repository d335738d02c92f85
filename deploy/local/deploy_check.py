"""Keeps deploy/docker-compose.yml and k8s/ in step with the services: every
environment variable given to a Gridlink container must be one the README's
configuration table documents (which the services read), and every listen
address must use the service's port. Run by `make k8s-check`."""
import re
import sys

import yaml

readme = open("README.md").read()
table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
known = set()
for row in table.splitlines():
    if row.startswith("| `"):
        known.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
# name -> (API port, admin port), from the services' registry.
registry = {}
for line in open("deploy/services.tsv"):
    if line.strip() and not line.startswith("#"):
        name, port, admin, _ = line.split()
        registry[name] = (port, admin)
ports = {f"{name.upper()}_ADDR": port for name, (port, _) in registry.items()}
problems = []


def check(where, name, value, service=None):
    if name not in known:
        problems.append(f"{where}: {name} is not a documented setting")
    if name in ports and not str(value).endswith(":" + ports[name]):
        problems.append(f"{where}: {name}={value} does not use port {ports[name]}")
    if name == "ADMIN_ADDR" and service in registry and not str(value).endswith(":" + registry[service][1]):
        problems.append(f"{where}: ADMIN_ADDR={value} does not use port {registry[service][1]}")


compose = yaml.safe_load(open("deploy/docker-compose.yml"))
for name, service in compose["services"].items():
    if service.get("image") == "gridlink:latest":
        for key, value in (service.get("environment") or {}).items():
            check(f"compose {name}", key, value, name)
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] in registry:
            for key, value in doc["data"].items():
                check(f"{path} ConfigMap {doc['metadata']['name']}", key, value, doc["metadata"]["name"])
        if doc["kind"] in ("Deployment", "Job"):
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for env in container.get("env", []):
                    check(f"{path} {doc['kind']} {doc['metadata']['name']}", env["name"], "")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"deploy-check: compose and {len(sys.argv) - 1} rendered manifests use only documented settings")

# The Grafana dashboard may only query metrics the services export.
import json
import pathlib

sources = "\n".join(p.read_text() for p in pathlib.Path(".").glob("crates/*/src/**/*.rs")) + "\n".join(
    p.read_text() for p in pathlib.Path(".").glob("services/*/src/**/*.rs")
)
dashboard = json.load(open("deploy/grafana/gridlink.json"))
unknown = set()
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        for name in re.findall(r"\b([a-z_]+(?:_total|_seconds|_connections|_events|_state))\b", target["expr"]):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if f'"{base}"' not in sources:
                unknown.add(name)
if unknown:
    print(f"deploy/grafana/gridlink.json queries metrics nobody exports: {sorted(unknown)}")
    sys.exit(1)
print(f"deploy-check: the dashboard's {sum(len(p['targets']) for p in dashboard['panels'])} queries use exported metrics")
