#!/usr/bin/env python3
"""Server time of each built-in page on a seeded database (issue 13).

    bench/ui_pages.py --db bench/work/1m/ui.db [--bin target/release/artifactd] [--port 23500] [--n 15]

Starts `artifactd serve` on a copy-free read of DB (`--read-only`, so the
seeded file is not changed) with the request log at debug level, requests
each page N times one after another on loopback, and reports the median and
the worst of the server's own `elapsed_ms` (from the request log: the time
from the request's arrival to its response, rendering included) and of the
client's wall time. Stdlib only; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def pick(db: str) -> dict:
    """Ids worth measuring: the key with the most versions, the flow run and
    task run with the most artifacts, a common flow."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    one = lambda sql: c.execute(sql).fetchone()
    key, versions = one("SELECT key, count(*) n FROM artifact WHERE key IS NOT NULL GROUP BY key ORDER BY n DESC LIMIT 1")
    latest = one(f"SELECT latest_id FROM artifact_collection WHERE key = '{key}'")[0]
    oldest = one(f"SELECT id FROM artifact WHERE key = '{key}' ORDER BY created, id LIMIT 1")[0]
    run, run_n = one("SELECT flow_run_id, count(*) n FROM artifact WHERE flow_run_id IS NOT NULL GROUP BY flow_run_id ORDER BY n DESC LIMIT 1")
    task, task_n = one("SELECT task_run_id, count(*) n FROM artifact WHERE task_run_id IS NOT NULL GROUP BY task_run_id ORDER BY n DESC LIMIT 1")
    flow = one("SELECT f.name FROM flow f JOIN flow_run r ON r.flow_id = f.id GROUP BY f.id ORDER BY count(*) DESC LIMIT 1 OFFSET 4")[0]
    keys = one("SELECT count(*) FROM artifact_collection")[0]
    keyless = one("SELECT count(*) FROM artifact WHERE key IS NULL")[0]
    big_table = one("SELECT id FROM artifact WHERE type = 'table' ORDER BY length(data) DESC LIMIT 1")[0]
    return dict(key=key, versions=versions, latest=latest, oldest=oldest, run=run, run_n=run_n, task=task,
                task_n=task_n, flow=flow, keys=keys, keyless=keyless, big_table=big_table)


def pages(p: dict) -> list[tuple[str, str]]:
    deep = p["keys"] // 24 - 1
    deep_keyless = p["keyless"] // 24 - 1
    return [
        ("index", "/"),
        ("index, key contains", "/?q=quality"),
        ("index, flow", f"/?flow={p['flow']}"),
        ("index, state", "/?state=FAILED"),
        ("index, type", "/?type=image"),
        ("index, flow+state+type", f"/?flow={p['flow']}&state=COMPLETED&type=table"),
        ("index, 200 per page", "/?per=200"),
        ("index, deep page", f"/?page={deep}"),
        ("index, page past the end", "/?page=99999999"),
        ("index, bad filter", "/?state=BOGUS"),
        ("keyless tab", "/?tab=keyless"),
        ("keyless, type", "/?tab=keyless&type=markdown"),
        ("keyless, deep page", f"/?tab=keyless&page={deep_keyless}"),
        (f"key ({p['versions']} versions)", f"/ui/keys/{p['key']}"),
        ("key, last page", f"/ui/keys/{p['key']}?page=999"),
        ("artifact (latest version)", f"/ui/artifacts/{p['latest']}"),
        ("artifact (oldest version)", f"/ui/artifacts/{p['oldest']}"),
        ("artifact (largest table)", f"/ui/artifacts/{p['big_table']}"),
        (f"flow run ({p['run_n']} artifacts)", f"/ui/flow-runs/{p['run']}"),
        (f"task run ({p['task_n']} artifacts)", f"/ui/task-runs/{p['task']}"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--bin", default="target/release/artifactd")
    ap.add_argument("--port", type=int, default=23500)
    ap.add_argument("--n", type=int, default=15)
    a = ap.parse_args()
    p = pick(a.db)
    log = tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTD_")}
    env.update(RUST_LOG="artifactd=debug", NO_COLOR="1")
    proc = subprocess.Popen([a.bin, "serve", "--db", a.db, "--read-only", "--port", str(a.port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    root = f"http://127.0.0.1:{a.port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"{root}/api/health", timeout=1).read() == b"true":
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)  # the planner statistics refresh at start
        rows = []
        for name, path in pages(p):
            walls, statuses = [], set()
            for i in range(a.n + 2):
                t = time.perf_counter()
                try:
                    r = urllib.request.urlopen(root + path, timeout=30)
                    r.read()
                    statuses.add(r.status)
                except urllib.error.HTTPError as e:
                    e.read()
                    statuses.add(e.code)
                if i >= 2:  # two warm-up requests
                    walls.append((time.perf_counter() - t) * 1e3)
            rows.append((name, path, walls, statuses))
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(10)
    text = open(log.name, errors="replace").read()
    server: dict[str, list[float]] = {}
    for line in text.splitlines():
        m = re.search(r'path=(\S+) status=\d+ elapsed_ms=([\d.]+)', line)
        if m:
            server.setdefault(m.group(1), []).append(float(m.group(2)))
    print(f"dataset: {p['keys']} keys, {p['keyless']} keyless artifacts; n={a.n} per page after 2 warm-ups\n")
    print("| page | status | server median ms | server max ms | client median ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for name, path, walls, statuses in rows:
        bare = path.split("?")[0]
        # The log has the path without the query: take this page's share in order.
        times = server.get(bare, [])[: a.n + 2][2:]
        server[bare] = server.get(bare, [])[a.n + 2 :]
        med = statistics.median(times) if times else float("nan")
        mx = max(times) if times else float("nan")
        worst = max(worst, med)
        st = ",".join(str(s) for s in sorted(statuses))
        print(f"| {name} `{path[:60]}` | {st} | {med:.1f} | {mx:.1f} | {statistics.median(walls):.1f} |")
    print(f"\nworst median: {worst:.1f} ms")
    print(json.dumps(p), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
