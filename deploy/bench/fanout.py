#!/usr/bin/env python3
"""Fan-out figures against a running `make up` stack.

  deploy/bench/fanout.py latency N   # N users with data deleted one by one;
                                     # p50/p99 from DELETE to the last service's erasure
  deploy/bench/fanout.py outage N    # broker stopped, N deletions, broker started;
                                     # time for the backlog to drain and erasures to complete

Latencies come from auth's own records: deleted_users.deleted_at and the
erased_at each service reports in user.erased (one machine, one clock)."""
import concurrent.futures as cf
import json
import subprocess
import sys
import time
import urllib.request
import uuid

GATEWAY = "http://127.0.0.1:8080"
PASSWORD = "correct horse battery staple"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(GATEWAY + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def user_with_data(_):
    name = "fan_" + uuid.uuid4().hex[:20]
    signed = call("POST", "/api/v1/auth/signup", {"username": name, "email": name + "@bench.example", "password": PASSWORD})
    token = signed["access_token"]
    grid = call("POST", "/api/v1/grids", {"title": "g"}, token)
    call("POST", "/api/v1/links", {"grid": grid["slug"], "title": "l", "url": "https://example.com"}, token)
    return signed["user"]["id"], token


def delete(user):
    call("DELETE", "/api/v1/users/me", {"password": PASSWORD}, user[1])
    return user[0]


def sql(query):
    return subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/gridlink_auth", "-qtAc", query],
                          check=True, capture_output=True, text=True).stdout.strip()


def latencies(ids):
    quoted = ",".join("'" + i + "'" for i in ids)
    return sql(f"""
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms), count(*)
      FROM (SELECT d.slug, extract(epoch FROM max(e.erased_at) - d.deleted_at) * 1000 AS ms
            FROM deleted_users d JOIN erasures e ON e.user_id = d.slug
            WHERE d.slug IN ({quoted}) GROUP BY d.slug, d.deleted_at HAVING count(*) = 2) t""")


def wait_complete(ids, timeout):
    started = time.time()
    quoted = ",".join("'" + i + "'" for i in ids)
    while time.time() - started < timeout:
        done = int(sql(f"SELECT count(*) FROM (SELECT user_id FROM erasures WHERE user_id IN ({quoted}) GROUP BY user_id HAVING count(*) = 2) t"))
        if done == len(ids):
            return time.time() - started
        time.sleep(0.1)
    raise SystemExit(f"only {done} of {len(ids)} erased within {timeout}s")


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    with cf.ThreadPoolExecutor(8) as pool:
        users = list(pool.map(user_with_data, range(n)))
    print(f"{n} users with a grid and a link each")
    if mode == "outage":
        subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True)
        print("broker stopped")
    started = time.time()
    with cf.ThreadPoolExecutor(4 if mode == "outage" else 1) as pool:
        ids = list(pool.map(delete, users))
    print(f"{n} deletions answered 202 in {time.time() - started:.1f}s")
    if mode == "outage":
        pending = sql("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        print(f"outbox backlog while the broker is down: {pending} rows")
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True)
        restored = time.time()
        drained = wait_complete(ids, 300)
        print(f"broker back: every erasure confirmed {time.time() - restored:.1f}s after start_app returned")
    else:
        wait_complete(ids, 60)
        p50, p99, worst, count = latencies(ids).split("|")
        print(f"fan-out latency (DELETE to the last service's erasure) over {count}: "
              f"p50 {float(p50):.1f} ms, p99 {float(p99):.1f} ms, max {float(worst):.1f} ms")


main()
