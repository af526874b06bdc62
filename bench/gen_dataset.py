#!/usr/bin/env python3
"""Writes a benchmark fixture in the shared format (shared/spec/fixtures.md).

    python3 bench/gen_dataset.py --artifacts 100000 --out bench/work/100k/fixture.json

Deterministic for a given --artifacts and --seed. Proportions (issue 6):
  * 90% of artifacts have a key, spread over N/10 keys (so ~9 versions per
    key on average, skewed by flow popularity); 10% have no key;
  * 50 flows (popularity skewed), 20 deployments (one each for 20 flows);
  * one flow run per 20 artifacts, in varied states with 0-3 tags;
  * one task run per 5 artifacts (4 per flow run); each artifact points at
    its task run and that task run's flow run;
  * `data` of about 200 bytes (table / markdown / link / image / progress);
  * `created` spread over 90 days, in artifact order.

`artifact_collections` (latest-by-key rows) are written explicitly, the way a
snapshot of a live server has them, so both servers get the same row ids.

Next to the fixture it writes `<out>.meta.json`: counts, and the parameters
the query shapes use (the q2 substring, the q3 flow, the q4 key), chosen from
the data so that they match a realistic number of rows.
"""

import argparse
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

VERBS = ["ingest", "transform", "load", "train", "score", "report", "sync", "backup", "validate", "export"]
OBJECTS = ["orders", "customers", "events", "inventory", "payments"]
FLOW_NAMES = [f"{v}-{o}" for v in VERBS for o in OBJECTS]  # 50
KEY_NOUNS = ["summary", "row-counts", "quality-check", "metrics", "report",
             "sample", "diff", "schema", "latency", "errors"]
TASK_NAMES = ["extract", "clean", "aggregate", "publish"]
TAGS = ["prod", "staging", "dev", "etl", "ml", "nightly", "hourly", "backfill", "critical", "team-a", "team-b"]
STATES = [  # (type, name, weight)
    ("COMPLETED", "Completed", 60), ("FAILED", "Failed", 12), ("RUNNING", "Running", 5),
    ("CANCELLED", "Cancelled", 5), ("CRASHED", "Crashed", 3), ("SCHEDULED", "Scheduled", 5),
    ("PENDING", "Pending", 5), ("COMPLETED", "Cached", 5),
]
KEY_TYPES = [("table", 40), ("markdown", 35), ("link", 10), ("progress", 10), ("image", 5)]
KEYLESS_TYPES = [("markdown", 50), ("progress", 30), ("link", 20)]
ADJ = ["brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lively", "proud"]
ANIMALS = ["otter", "lynx", "heron", "bison", "gecko", "koala", "panda", "raven", "tapir", "zebra"]
BASE = datetime(2026, 6, 1, tzinfo=timezone.utc)
SPAN = timedelta(days=90)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Gen:
    def __init__(self, n, seed):
        self.n = n
        self.rng = random.Random(seed * 1_000_003 + n)

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def wchoice(self, items):
        return self.rng.choices([i[:-1] if len(i) > 2 else i[0] for i in items],
                                weights=[i[-1] for i in items])[0]


def table_data(rng):
    rows = []
    while True:
        rows.append({"source": rng.choice(OBJECTS), "channel": rng.choice(["web", "mobile", "partner"]),
                     "rows": rng.randint(0, 99999)})
        s = json.dumps(rows)
        if len(s) >= 195:
            return s


def markdown_data(rng, title):
    lines = [f"## {title}", "", "| table | rows |", "|---|---|"]
    while sum(len(x) + 1 for x in lines) < 200:
        lines.append(f"| analytics.{rng.choice(OBJECTS)} | {rng.randint(0, 99999)} |")
    return "\n".join(lines) + "\n"


def data_for(rng, typ, title):
    if typ == "table":
        return table_data(rng)
    if typ == "markdown":
        return markdown_data(rng, title)
    if typ == "link":
        return (f"[{title}](https://dashboards.example.com/{title}/"
                f"{rng.getrandbits(64):016x}?from=2026-06-01&to=2026-08-30&refresh=1m&orgId=1&tab=overview)")
    if typ == "image":
        return (f"https://storage.example.com/artifacts/{title}/{rng.getrandbits(128):032x}.png"
                f"?X-Amz-Expires=3600&X-Amz-Signature={rng.getrandbits(128):032x}")
    return round(rng.uniform(0, 100), 1)  # progress


def generate(n, seed):
    g = Gen(n, seed)
    rng = g.rng
    n_fr = max(1, n // 20)
    n_keys = max(1, n // 10)

    # Flows, with Zipf-like popularity.
    flows = []
    for i, name in enumerate(FLOW_NAMES):
        t = BASE - timedelta(days=30) + timedelta(minutes=i)
        flows.append({"id": g.uid(), "created": ts(t), "updated": ts(t), "name": name,
                      "tags": rng.sample(TAGS, rng.randint(0, 2)), "labels": {}})
    flow_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(flows))]

    deployments = []
    dep_of_flow = {}
    for i in range(20):
        f = flows[i]
        t = BASE - timedelta(days=29) + timedelta(minutes=i)
        env = ["prod", "staging"][i % 2]
        d = {"id": g.uid(), "created": ts(t), "updated": ts(t), "name": f"{f['name']}-{env}",
             "version": f"1.{i}.0", "description": f"{f['name']} on a schedule ({env})",
             "flow_id": f["id"], "paused": i % 7 == 3, "schedules": [], "concurrency_limit": None,
             "job_variables": {}, "parameters": {}, "tags": [env] + rng.sample(TAGS[3:], 1),
             "labels": {"prefect.flow.id": f["id"]}, "work_queue_name": "default",
             "work_pool_name": None, "path": "/opt/flows", "entrypoint": f"flows/{f['name']}.py:main",
             "pull_steps": [], "status": "NOT_READY", "enforce_parameter_schema": True,
             "created_by": None, "updated_by": None}
        deployments.append(d)
        dep_of_flow[i] = d

    # Keys belong to flows, in proportion to flow popularity.
    key_flow = rng.choices(range(len(flows)), weights=flow_weights, k=n_keys)
    keys_of_flow = {i: [] for i in range(len(flows))}
    keys = []
    key_type = []
    for k in range(n_keys):
        fi = key_flow[k]
        name = f"{FLOW_NAMES[fi]}-{KEY_NOUNS[k % len(KEY_NOUNS)]}-{k:06d}"
        keys.append(name)
        key_type.append(g.wchoice(KEY_TYPES))
        keys_of_flow[fi].append(k)

    step = SPAN / n
    flow_runs, task_runs, artifacts = [], [], []
    for j in range(n_fr):
        # Flow of the run: popular flows run more; a flow without keys still
        # gets runs, its artifacts are then keyless.
        fi = rng.choices(range(len(flows)), weights=flow_weights)[0]
        f = flows[fi]
        start = BASE + step * (j * 20)
        stype, sname = g.wchoice(STATES)
        dep = dep_of_flow.get(fi) if rng.random() < 0.7 else None
        fr_id = g.uid()
        run_time = round(rng.uniform(5, 900), 6)
        done = stype in ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
        started = stype not in ("SCHEDULED", "PENDING")
        end = start + step * 20
        state_ts = end if done else start
        fr = {"id": fr_id, "created": ts(start - timedelta(seconds=2)), "updated": ts(state_ts),
              "name": f"{rng.choice(ADJ)}-{rng.choice(ANIMALS)}-{j}", "flow_id": f["id"],
              "state_id": None, "deployment_id": dep["id"] if dep else None,
              "deployment_version": dep["version"] if dep else None,
              "work_queue_name": "default" if dep else None, "flow_version": f"{fi % 5}.{j % 3}",
              "parameters": {}, "idempotency_key": None, "context": {},
              "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": 0,
                                   "retry_delay": 0, "pause_keys": [], "resuming": False, "retry_type": None},
              "tags": rng.sample(TAGS, rng.randint(0, 3)), "labels": {"prefect.flow.id": f["id"]},
              "parent_task_run_id": None, "state_type": stype, "state_name": sname,
              "run_count": 1 if started else 0, "expected_start_time": ts(start - timedelta(seconds=1)),
              "next_scheduled_start_time": ts(start) if stype == "SCHEDULED" else None,
              "start_time": ts(start) if started else None, "end_time": ts(end) if done else None,
              "total_run_time": run_time if done else 0.0, "auto_scheduled": dep is not None,
              "created_by": None, "work_pool_name": None,
              "state": {"id": None, "type": stype, "name": sname, "timestamp": ts(state_ts),
                        "message": None}}
        fr["state"]["id"] = fr["state_id"] = g.uid()
        flow_runs.append(fr)
        fkeys = keys_of_flow[fi]
        for tk in range(4):
            ti = j * 4 + tk
            t0 = start + step * (tk * 5)
            tr_id = g.uid()
            tr_state = stype if tk < 3 or not done else "COMPLETED"
            tr = {"id": tr_id, "created": ts(t0), "updated": ts(t0 + step * 5),
                  "name": f"{TASK_NAMES[tk]}-{tk}", "flow_run_id": fr_id,
                  "task_key": f"{TASK_NAMES[tk]}-{fi:04x}", "dynamic_key": str(tk),
                  "cache_key": None, "task_version": None,
                  "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": 0,
                                       "retry_delay": 0, "retry_jitter_factor": None},
                  "tags": fr["tags"], "labels": {"prefect.flow.id": f["id"], "prefect.flow-run.id": fr_id},
                  "state_id": None, "task_inputs": {}, "state_type": tr_state,
                  "state_name": tr_state.capitalize(), "run_count": 1 if started else 0,
                  "flow_run_run_count": 1 if started else 0, "expected_start_time": ts(t0),
                  "next_scheduled_start_time": None, "start_time": ts(t0) if started else None,
                  "end_time": ts(t0 + step * 5) if done else None,
                  "total_run_time": round(run_time / 4, 6) if done else 0.0,
                  "state": {"id": None, "type": tr_state, "name": tr_state.capitalize(),
                            "timestamp": ts(t0 + step * 5), "message": None}}
            tr["state"]["id"] = tr["state_id"] = g.uid()
            task_runs.append(tr)
            for a in range(5):
                i = ti * 5 + a
                if i >= n:
                    break
                created = BASE + step * i + step * rng.random() * 0.9
                if fkeys and rng.random() < 0.9:
                    k = rng.choice(fkeys)
                    key, typ = keys[k], key_type[k]
                    title = key
                else:
                    key, typ = None, g.wchoice(KEYLESS_TYPES)
                    title = f"{f['name']}-run-{j}"
                artifacts.append({
                    "id": g.uid(), "created": ts(created), "updated": ts(created),
                    "key": key, "type": typ,
                    "description": None if rng.random() < 0.3 else f"{typ.capitalize()} from {TASK_NAMES[tk]} in {f['name']}",
                    "data": data_for(rng, typ, title),
                    "metadata_": {"rows": str(rng.randint(0, 99999))} if rng.random() < 0.2 else None,
                    "flow_run_id": fr_id, "task_run_id": tr_id})
    # Artifacts beyond the last whole block (n not a multiple of 20) are keyless.
    while len(artifacts) < n:
        i = len(artifacts)
        created = BASE + step * i
        artifacts.append({"id": g.uid(), "created": ts(created), "updated": ts(created), "key": None,
                          "type": "markdown", "description": None,
                          "data": markdown_data(rng, "tail"), "metadata_": None,
                          "flow_run_id": None, "task_run_id": None})

    # Latest-by-key rows, derived as the fixture spec says.
    latest, first = {}, {}
    for a in artifacts:
        k = a["key"]
        if k is None:
            continue
        cur = latest.get(k)
        if cur is None or (a["created"], a["id"]) > (cur["created"], cur["id"]):
            latest[k] = a
        if k not in first or a["created"] < first[k]:
            first[k] = a["created"]
    collections = []
    for k in sorted(latest):
        a = latest[k]
        collections.append({"id": g.uid(), "created": first[k], "updated": a["updated"], "key": k,
                            "latest_id": a["id"], "type": a["type"], "description": a["description"],
                            "data": a["data"], "metadata_": a["metadata_"],
                            "flow_run_id": a["flow_run_id"], "task_run_id": a["task_run_id"]})

    doc = {"format_version": 1, "flows": flows, "deployments": deployments, "flow_runs": flow_runs,
           "task_runs": task_runs, "artifacts": artifacts, "artifact_collections": collections}
    return doc, pick_params(doc, keys)


def pick_params(doc, keys):
    """Parameters of the query shapes, read off the data."""
    arts = doc["artifacts"]
    per_key = {}
    for a in arts:
        if a["key"]:
            per_key[a["key"]] = per_key.get(a["key"], 0) + 1
    # q4: a key with the median number of versions.
    counts = sorted(per_key.items(), key=lambda kv: (kv[1], kv[0]))
    q4_key = counts[len(counts) // 2][0]
    # q3: the 5th most popular flow (a mid-sized one).
    flow_by_id = {f["id"]: f["name"] for f in doc["flows"]}
    fr_flow = {fr["id"]: flow_by_id[fr["flow_id"]] for fr in doc["flow_runs"]}
    fr_state = {fr["id"]: fr["state_type"] for fr in doc["flow_runs"]}
    pop = {}
    for c in doc["artifact_collections"]:
        n = fr_flow.get(c["flow_run_id"])
        pop[n] = pop.get(n, 0) + 1
    ranked = sorted(pop.items(), key=lambda kv: -kv[1])
    q3_flow = ranked[min(4, len(ranked) - 1)][0]
    q2_like = "quality"
    colls = doc["artifact_collections"]
    expect = {
        "q1": min(200, len(colls)),
        "q2_matching": sum(1 for c in colls if q2_like in c["key"] and c["type"] == "table"),
        "q3_matching": sum(1 for c in colls if fr_flow.get(c["flow_run_id"]) == q3_flow
                           and fr_state.get(c["flow_run_id"]) == "COMPLETED"),
        "q4_versions": per_key[q4_key],
        "q5_count": len(colls),
    }
    return {"q2_like": q2_like, "q2_type": "table", "q3_flow": q3_flow, "q3_state": "COMPLETED",
            "q4_key": q4_key, "expect": expect,
            "counts": {k: len(v) for k, v in doc.items() if isinstance(v, list)}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--artifacts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    doc, meta = generate(args.artifacts, args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as fh:
        # One element per line keeps the file greppable and the writer fast.
        fh.write('{"format_version": 1')
        for name in ["flows", "deployments", "flow_runs", "task_runs", "artifacts", "artifact_collections"]:
            fh.write(f',\n"{name}": [\n')
            fh.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in doc[name]))
            fh.write("\n]")
        fh.write("}\n")
    os.replace(tmp, args.out)
    meta["seed"] = args.seed
    meta["bytes"] = os.path.getsize(args.out)
    with open(args.out + ".meta.json", "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
