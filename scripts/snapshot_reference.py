#!/usr/bin/env python3
"""Snapshot a live Prefect 3 server into an artifactd fixture (format version 1).

    python3 scripts/snapshot_reference.py URL OUT

URL is the API base, e.g. http://127.0.0.1:4301/api (a URL without a trailing
"/api" gets one appended).  OUT is the fixture path ("-" for stdout).

Every array is read from the server's filter endpoint page by page
(limit 200, offset 0, 200, ...) with the server's default sort, and each
object is written exactly as returned (keys in the server's order).
Standard library only.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

PAGE = 200

# fixture key -> filter endpoint (see docs/fixtures.md)
ENDPOINTS = [
    ("flows", "/flows/filter"),
    ("deployments", "/deployments/filter"),
    ("flow_runs", "/flow_runs/filter"),
    ("task_runs", "/task_runs/filter"),
    ("artifacts", "/artifacts/filter"),
    ("artifact_collections", "/artifacts/latest/filter"),
]


def post(url: str, body: dict) -> object:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise SystemExit(f"POST {url} -> HTTP {exc.code}: {detail}") from exc


def read_all(base: str, path: str) -> list:
    items: list = []
    offset = 0
    while True:
        page = post(base + path, {"limit": PAGE, "offset": offset})
        if not isinstance(page, list):
            raise SystemExit(f"POST {base + path}: expected a JSON array, got {type(page).__name__}")
        items.extend(page)
        if len(page) < PAGE:
            return items
        offset += PAGE


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    base, out = argv[1].rstrip("/"), argv[2]
    if not base.endswith("/api"):
        base += "/api"

    fixture: dict = {"format_version": 1}
    for key, path in ENDPOINTS:
        fixture[key] = read_all(base, path)

    text = json.dumps(fixture, indent=2, ensure_ascii=False) + "\n"
    if out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    counts = ", ".join(f"{k}={len(fixture[k])}" for k, _ in ENDPOINTS)
    print(f"wrote {out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
