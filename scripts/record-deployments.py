#!/usr/bin/env python3
"""Records what a Prefect 3.9.1 server answers to the deployment, flow and
flow-run steps of tests/data/deployments/steps.json, into
tests/data/deployments/answers.json (the steps with each answer's status and
masked body). tests/api/deployments.rs replays the same steps against
artifactd and compares.

    scripts/record-deployments.py http://127.0.0.1:4321/api

Run it against a fresh reference started with --no-services (so no service
changes a run between two steps):

    PREFECT_HOME=$(mktemp -d) prefect server start --port 4321 --no-services

A step is {"name", "method", "path", "body"?, "save"?}. "{var}" in a path
or body is replaced by a value saved by an earlier step; "save" maps a var
to a key of the answer's JSON (dotted for nested keys). Masking: every UUID
becomes "<uuid>", every timestamp "<time>", and the keys in MASKED_KEYS
(values that depend on when the steps ran) "<masked>". Key order is kept, so
the comparison checks field order too.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "deployments"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
MASKED_KEYS = {"estimated_run_time", "estimated_start_time_delta"}


def mask(v):
    if isinstance(v, dict):
        return {k: ("<masked>" if k in MASKED_KEYS else mask(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x) for x in v]
    if isinstance(v, str):
        if UUID_RE.match(v):
            return "<uuid>"
        if TIME_RE.match(v):
            return "<time>"
        # Ids inside strings (labels such as "prefect.deployment.<id>").
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", v)
    return v


def fill(v, saved: dict):
    if isinstance(v, str):
        for k, x in saved.items():
            v = v.replace("{" + k + "}", x)
        return v
    if isinstance(v, dict):
        return {k: fill(x, saved) for k, x in v.items()}
    if isinstance(v, list):
        return [fill(x, saved) for x in v]
    return v


def dig(v, dotted: str):
    for part in dotted.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v


def main() -> None:
    api = sys.argv[1].rstrip("/")
    steps = json.loads((HERE / "steps.json").read_text())
    saved: dict[str, str] = {}
    out = []
    with httpx.Client(base_url=api, timeout=30) as c:
        for step in steps:
            kwargs = {}
            if "body" in step:
                kwargs["content"] = json.dumps(fill(step["body"], saved))
                kwargs["headers"] = {"content-type": "application/json"}
            r = c.request(step["method"], fill(step["path"], saved), **kwargs)
            body = r.json() if r.content else None
            for var, key in step.get("save", {}).items():
                saved[var] = str(dig(body, key))
            out.append({**step, "status": r.status_code, "answer": mask(body)})
            print(step["name"], r.status_code)
    (HERE / "answers.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
