"""`make new-service NAME=x`: a new service on the kit, ready to build, test
and run. It copies deploy/scaffold/service/ to services/x/ (names and ports
filled in) and adds the service everywhere the stack lists its services: the
workspace, deploy/services.tsv (`make up`), the compose file and its
Prometheus, the Kubernetes
base and overlays, and the README's configuration table. Nothing else is
touched. Run from the repository root."""
import datetime
import pathlib
import re
import sys

ROOT = pathlib.Path(".")
SCAFFOLD = ROOT / "deploy" / "scaffold"


def fail(message):
    sys.exit(f"new-service: {message}")


def services():
    rows = []
    for line in (ROOT / "deploy" / "services.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            name, port, admin, database = line.split("\t")
            rows.append((name, int(port), int(admin), database))
    return rows


def fill(text, values):
    for key, value in values.items():
        text = text.replace(f"__{key}__", str(value))
    return text


def edit(path, change):
    path = ROOT / path
    before = path.read_text()
    after = change(before)
    if after == before:
        fail(f"{path}: nothing to change; was it edited by hand?")
    path.write_text(after)


def insert_before(text, marker, addition):
    if marker not in text:
        fail(f"cannot find {marker!r}")
    return text.replace(marker, addition + marker, 1)


def main():
    if len(sys.argv) != 2:
        fail("usage: new_service.py NAME")
    name = sys.argv[1]
    if not re.fullmatch(r"[a-z][a-z0-9]{1,19}", name):
        fail(f"{name!r}: a name is 2 to 20 of a-z and 0-9, starting with a letter")
    known = services()
    if name in [s[0] for s in known] or (ROOT / "services" / name).exists():
        fail(f"{name} exists already")
    port = max(p for n, p, _, _ in known if n != "gateway") + 1
    values = {
        "name": name,
        "Name": name.capitalize(),
        "NAME": name.upper(),
        "port": port,
        "admin_port": port + 1000,
        "date": datetime.date.today().isoformat(),
    }

    # The crate, from the template.
    for source in sorted((SCAFFOLD / "service").rglob("*")):
        if source.is_dir():
            continue
        target = ROOT / "services" / name / fill(str(source.relative_to(SCAFFOLD / "service")), values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill(source.read_text(), values))
    for source in sorted((SCAFFOLD / "k8s").glob("*.yaml")):
        (ROOT / "k8s" / "base" / fill(source.name, values)).write_text(fill(source.read_text(), values))

    edit("Cargo.toml", lambda t: insert_before(t, '    "services/gateway",', f'    "services/{name}",\n'))
    edit(
        "deploy/services.tsv",
        lambda t: insert_before(t, "gateway\t", f"{name}\t{port}\t{port + 1000}\tdatabase\n"),
    )
    edit(
        "deploy/postgres/init.sql",
        lambda t: t.rstrip("\n") + f"\nCREATE DATABASE gridlink_{name};\n",
    )
    edit("deploy/docker-compose.yml", lambda t: add_to_compose(t, values))
    edit(
        "deploy/prometheus/prometheus.yml",
        lambda t: t.rstrip("\n") + f"\n          - {name}:{port + 1000}\n",
    )
    edit(
        "k8s/base/kustomization.yaml",
        lambda t: insert_before(
            t,
            "  - default-deny.yaml",
            "".join(f"  - {name}{part}.yaml\n" for part in ["-config", "", "-network", "-migrate"]),
        ),
    )
    edit("k8s/overlays/dev/kustomization.yaml", lambda t: add_dev_secrets(t, name))
    edit(
        "k8s/overlays/dev/postgres.yaml",
        lambda t: re.sub(
            r"(\n(\s*)CREATE DATABASE gridlink_links;)",
            rf"\1\n\2CREATE DATABASE gridlink_{name};",
            t,
            count=1,
        ),
    )
    edit("k8s/overlays/prod/databases.yaml", lambda t: add_prod_database(t, name))
    edit("k8s/base/secret.example.yaml", lambda t: add_example_secrets(t, name))
    edit("README.md", lambda t: add_readme_row(t, values))
    print(f"new-service: services/{name} on port {port} (metrics on {port + 1000})")


def add_to_compose(text, values):
    name = values["name"]
    token = f"${{{values['NAME']}_TOKEN:-dev-{name}-token-change-me-{'0' * 12}}}"
    text = re.sub(
        r"(INTERNAL_TOKENS: [^\n]*)",
        lambda m: f"{m.group(1)},{name}:{token}",
        text,
        count=1,
    )
    block = f"""  migrate-{name}:
    <<: *service
    command: ["{name}", "migrate"]
    restart: "no"
    environment:
      <<: *env
      DATABASE_URL: postgres://postgres@postgres:5432/gridlink_{name}
    depends_on:
      postgres: {{condition: service_healthy}}
      build: {{condition: service_completed_successfully}}

  {name}:
    <<: *service
    command: ["{name}", "serve"]
    environment:
      <<: *env
      {values['NAME']}_ADDR: 0.0.0.0:{values['port']}
      ADMIN_ADDR: 0.0.0.0:{values['admin_port']}
      DATABASE_URL: postgres://postgres@postgres:5432/gridlink_{name}
      SERVICE_TOKEN: {token}
      TRUSTED_PROXIES: 0.0.0.0/0
    healthcheck:
      test: ["CMD", "{name}", "probe", "127.0.0.1:{values['port']}"]
      interval: 5s
      timeout: 3s
      retries: 20
    depends_on:
      migrate-{name}: {{condition: service_completed_successfully}}
      rabbitmq: {{condition: service_healthy}}

"""
    return insert_before(text, "  gateway:\n", block)


def add_dev_secrets(text, name):
    token = f"dev-{name}-token-{'0' * 16}"
    text = insert_before(
        text,
        "      - amqp-url=",
        f"      - {name}-database-url=postgres://postgres@postgres:5432/gridlink_{name}\n",
    )
    text = re.sub(r"(      - internal-tokens=[^\n]*)", rf"\1,{name}:{token}", text, count=1)
    return insert_before(text, "      - cursor-secret=", f"      - {name}-service-token={token}\n")


def add_prod_database(text, name):
    last = text.rstrip("\n").split("\n---\n")[-1]
    model = re.search(r"name: gridlink-([a-z0-9]+)", last)
    if not model:
        fail("k8s/overlays/prod/databases.yaml: its last cluster has no gridlink-<service> name")
    cluster = re.sub(
        rf"gridlink([-_]){model.group(1)}\b", lambda m: f"gridlink{m.group(1)}{name}", last
    )
    return text.rstrip("\n") + "\n---\n" + cluster + "\n"


def add_example_secrets(text, name):
    text = re.sub(
        r"(  internal-tokens: [^\n]*)",
        lambda m: f"{m.group(1)},{name}:CHANGE-ME-24-CHARS-MIN",
        text,
        count=1,
    )
    text = insert_before(
        text,
        "  amqp-url:",
        f"  {name}-database-url: postgres://USER:PASSWORD@HOST:5432/gridlink_{name}\n",
    )
    return insert_before(text, "  cursor-secret:", f"  {name}-service-token: CHANGE-ME-24-CHARS-MIN\n")


def add_readme_row(text, values):
    rows = list(re.finditer(r"^\| `[A-Z0-9_]+_ADDR` \|[^\n]*\n", text, re.M))
    if not rows:
        fail("README.md has no *_ADDR rows in its configuration table")
    last = rows[-1]
    row = (
        f"| `{values['NAME']}_ADDR` | `127.0.0.1:{values['port']}` | "
        f"where the {values['name']} service listens |\n"
    )
    return text[: last.end()] + row + text[last.end() :]


if __name__ == "__main__":
    main()
