#!/usr/bin/env python3
"""Seed a live Prefect server, snapshot it, and record conformance cases.

    python3 scripts/conformance/record.py API_URL OUT_DIR

Normally run by scripts/record-conformance, which starts the server.  Writes
OUT_DIR/fixture.json, OUT_DIR/cases.json and OUT_DIR/reference-500s.json.
Set CONFORMANCE_SKIP_SEED=1 to record against an already seeded server.
Standard library only (prefect, when importable, is used to check that every
filter field is covered).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import cases as casegen  # noqa: E402
import seed  # noqa: E402
import snapshot_reference  # noqa: E402


def send(base: str, method: str, path: str, body: str):
    req = urllib.request.Request(
        base + path[len("/api"):],
        data=body.encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    base, out = argv[1].rstrip("/"), argv[2]
    if not base.endswith("/api"):
        base += "/api"

    if os.environ.get("CONFORMANCE_SKIP_SEED") != "1":
        seed.seed(base)
        print("seeded", file=sys.stderr)

    fixture_path = os.path.join(out, "fixture.json")
    if snapshot_reference.main(["snapshot_reference.py", base, fixture_path]) != 0:
        return 1
    with open(fixture_path, encoding="utf-8") as fh:
        fixture = json.load(fh)

    generated = casegen.generate(fixture)
    names = [c[0] for c in generated]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SystemExit(f"duplicate case names: {dupes}")
    casegen.report_coverage(generated)

    recorded, errors = [], []
    for name, path, body in generated:
        status, text = send(base, "POST", path, body)
        case = {"name": name, "method": "POST", "path": path, "body": body, "status": status, "response": text}
        (errors if status >= 500 else recorded).append(case)

    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as fh:
        json.dump(recorded, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    with open(os.path.join(out, "reference-500s.json"), "w", encoding="utf-8") as fh:
        json.dump(errors, fh, indent=2, ensure_ascii=False)
        fh.write("\n")

    by_status: dict[int, int] = {}
    for c in recorded:
        by_status[c["status"]] = by_status.get(c["status"], 0) + 1
    print(f"recorded {len(recorded)} cases {dict(sorted(by_status.items()))}; "
          f"{len(errors)} reference 500s left out", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
