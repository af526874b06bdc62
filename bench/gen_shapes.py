#!/usr/bin/env python3
"""Random, valid filter bodies for the four artifact read endpoints (issue 15).

    bench/gen_shapes.py --db DB --seed 15 --count 520 --out bench/work/shapes.json

Draws bodies from every filter family, field and operator artifactd accepts
on /api/artifacts/filter, /api/artifacts/latest/filter and both counts (the
same vocabulary as Prefect 3.9.1's), every sort and a mix of limits and
offsets. Values come from the seeded database DB (an artifactd file of the
benchmark dataset, opened read-only): real flow names, keys, run ids, tags,
deployment ids, states and times, so most filters match rows. The same DB
and seed give the same file.

Coverage first: the first bodies walk every (family, field, operator) atom
in turn, so each appears at least --min-per-atom times; the rest pick 0-3
families at random. Each body goes to all four endpoints (a count ignores
sort, limit and offset, as the reference does), except that an `artifacts.id`
filter exists only on /artifacts/* and `artifacts.latest_id` only on
/artifacts/latest/*.

Output: {"seed", "count", "db_counts", "atoms", "shapes": [{"id", "atoms", "endpoints", "body"}]}.
"""

import argparse
import json
import random
import sqlite3

STATE_TYPES = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED",
               "PAUSED", "CANCELLING"]
STATE_NAMES = ["Scheduled", "Pending", "Running", "Completed", "Failed", "Cancelled", "Crashed",
               "Cached", "Late"]
TYPES = ["table", "markdown", "link", "progress", "image", "result"]
SORTS = [None, "ID_DESC", "KEY_DESC", "KEY_ASC", "CREATED_DESC", "UPDATED_DESC"]
LIMITS = [None, 0, 1, 5, 10, 20, 50, 100, 200]
OFFSETS = [None, 0, 0, 10, 50, 200, 1000]


class Pool:
    """Real values drawn once from the database, by seeded rowid samples."""

    def __init__(self, db, rnd, n=400):
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.counts = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                       for t in ("flow", "deployment", "flow_run", "task_run", "artifact", "artifact_collection")}

        def sample(table, cols, k=n):
            hi = c.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            rowids = sorted({rnd.randint(1, hi) for _ in range(k)}) if hi else []
            out = []
            for i in range(0, len(rowids), 500):
                part = rowids[i:i + 500]
                q = f"SELECT {cols} FROM {table} WHERE rowid IN ({','.join('?' * len(part))}) ORDER BY rowid"
                out += c.execute(q, part).fetchall()
            return out

        self.flows = c.execute("SELECT id, name, tags FROM flow ORDER BY name").fetchall()
        self.deployments = c.execute(
            "SELECT id, name, tags, work_queue_name, paused FROM deployment ORDER BY name").fetchall()
        self.runs = sample("flow_run", "id, name, tags, state_type, state_name, deployment_id, work_queue_name, "
                                       "flow_version, start_time, end_time, expected_start_time, "
                                       "next_scheduled_start_time, idempotency_key, created_by, parent_task_run_id")
        self.tasks = sample("task_run", "id, name, tags, state_type, state_name, start_time, end_time, "
                                        "expected_start_time, flow_run_id")
        self.artifacts = sample("artifact", "id, key, flow_run_id, task_run_id, type")
        self.latest = sample("artifact_collection", "latest_id, key, flow_run_id, task_run_id")
        c.close()

        def distinct(rows, i):
            return sorted({r[i] for r in rows if r[i] is not None})

        self.keys = distinct(self.artifacts, 1) + distinct(self.latest, 1)
        self.run_tags = sorted({t for r in self.runs for t in json.loads(r[2] or "[]")}) or ["none"]
        self.task_tags = sorted({t for r in self.tasks for t in json.loads(r[2] or "[]")}) or ["none"]
        self.flow_tags = sorted({t for r in self.flows for t in json.loads(r[2] or "[]")}) or ["none"]
        self.dep_tags = sorted({t for r in self.deployments for t in json.loads(r[2] or "[]")}) or ["none"]
        self.queues = distinct(self.runs, 6) or ["default"]
        self.versions = distinct(self.runs, 7) or ["1.0"]
        self.idem = distinct(self.runs, 12) or ["none"]
        self.times = distinct(self.runs, 8) + distinct(self.runs, 10)
        self.task_times = distinct(self.tasks, 5) + distinct(self.tasks, 7)
        self.run_names = distinct(self.runs, 1)
        self.task_names = distinct(self.tasks, 1)
        self.parent_tasks = distinct(self.runs, 14)


def gen(pool, rnd):
    """One generator per (family, field, operator) atom; each returns the
    leaf value and is called with the random source."""

    def some(xs, lo=1, hi=3):
        xs = list(xs)
        return rnd.sample(xs, min(len(xs), rnd.randint(lo, hi))) if xs else []

    def piece(word):
        # A substring a real value has: a word of it, or a short slice.
        parts = [p for p in word.replace("_", "-").split("-") if p]
        if parts and rnd.random() < 0.7:
            return rnd.choice(parts)
        i = rnd.randrange(max(1, len(word) - 3))
        return word[i:i + rnd.randint(3, 6)]

    def when(times):
        return rnd.choice(times) if times else "2026-06-15T00:00:00.000000Z"

    col = lambda rows, i: [r[i] for r in rows if r[i] is not None]
    a = {
        # artifacts (ArtifactFilter / ArtifactCollectionFilter)
        # `id` exists on /artifacts/* only, `latest_id` on /artifacts/latest/* only.
        ("artifacts", "id", "any_"): lambda: ("id", {"any_": some(col(pool.artifacts, 0))}),
        ("artifacts", "latest_id", "any_"): lambda: ("latest_id", {"any_": some(col(pool.latest, 0))}),
        ("artifacts", "key", "any_"): lambda: ("key", {"any_": some(pool.keys)}),
        ("artifacts", "key", "like_"): lambda: ("key", {"like_": piece(rnd.choice(pool.keys))}),
        ("artifacts", "key", "exists_"): lambda: ("key", {"exists_": rnd.random() < 0.7}),
        ("artifacts", "flow_run_id", "any_"): lambda: ("flow_run_id", {"any_": some(col(pool.artifacts, 2))}),
        ("artifacts", "task_run_id", "any_"): lambda: ("task_run_id", {"any_": some(col(pool.artifacts, 3))}),
        ("artifacts", "type", "any_"): lambda: ("type", {"any_": some(TYPES, 1, 2)}),
        ("artifacts", "type", "not_any_"): lambda: ("type", {"not_any_": some(TYPES, 1, 3)}),
        # flows
        ("flows", "id", "any_"): lambda: ("id", {"any_": some(col(pool.flows, 0))}),
        ("flows", "id", "not_any_"): lambda: ("id", {"not_any_": some(col(pool.flows, 0), 1, 5)}),
        ("flows", "name", "any_"): lambda: ("name", {"any_": some(col(pool.flows, 1))}),
        ("flows", "name", "like_"): lambda: ("name", {"like_": piece(rnd.choice(col(pool.flows, 1)))}),
        ("flows", "tags", "all_"): lambda: ("tags", {"all_": some(pool.flow_tags, 1, 2)}),
        ("flows", "tags", "is_null_"): lambda: ("tags", {"is_null_": rnd.random() < 0.5}),
        ("flows", "deployment", "is_null_"): lambda: ("deployment", {"is_null_": rnd.random() < 0.5}),
        # flow_runs
        ("flow_runs", "id", "any_"): lambda: ("id", {"any_": some(col(pool.runs, 0))}),
        ("flow_runs", "id", "not_any_"): lambda: ("id", {"not_any_": some(col(pool.runs, 0))}),
        ("flow_runs", "name", "any_"): lambda: ("name", {"any_": some(pool.run_names)}),
        ("flow_runs", "name", "like_"): lambda: ("name", {"like_": piece(rnd.choice(pool.run_names))}),
        ("flow_runs", "tags", "all_"): lambda: ("tags", {"all_": some(pool.run_tags, 1, 2)}),
        ("flow_runs", "tags", "any_"): lambda: ("tags", {"any_": some(pool.run_tags, 1, 2)}),
        ("flow_runs", "tags", "is_null_"): lambda: ("tags", {"is_null_": rnd.random() < 0.5}),
        ("flow_runs", "deployment_id", "any_"): lambda: ("deployment_id", {"any_": some(col(pool.deployments, 0))}),
        ("flow_runs", "deployment_id", "is_null_"): lambda: ("deployment_id", {"is_null_": rnd.random() < 0.5}),
        ("flow_runs", "work_queue_name", "any_"): lambda: ("work_queue_name", {"any_": some(pool.queues)}),
        ("flow_runs", "work_queue_name", "is_null_"): lambda: ("work_queue_name", {"is_null_": rnd.random() < 0.5}),
        ("flow_runs", "state", "type.any_"): lambda: ("state", {"type": {"any_": some(STATE_TYPES, 1, 2)}}),
        ("flow_runs", "state", "type.not_any_"): lambda: ("state", {"type": {"not_any_": some(STATE_TYPES, 1, 3)}}),
        ("flow_runs", "state", "name.any_"): lambda: ("state", {"name": {"any_": some(STATE_NAMES, 1, 2)}}),
        ("flow_runs", "state", "name.not_any_"): lambda: ("state", {"name": {"not_any_": some(STATE_NAMES, 1, 3)}}),
        ("flow_runs", "state", "or_"): lambda: ("state", {"operator": "or_", "type": {"any_": some(STATE_TYPES, 1, 1)},
                                                          "name": {"any_": some(STATE_NAMES, 1, 1)}}),
        ("flow_runs", "flow_version", "any_"): lambda: ("flow_version", {"any_": some(pool.versions, 1, 2)}),
        ("flow_runs", "start_time", "before_"): lambda: ("start_time", {"before_": when(pool.times)}),
        ("flow_runs", "start_time", "after_"): lambda: ("start_time", {"after_": when(pool.times)}),
        ("flow_runs", "start_time", "is_null_"): lambda: ("start_time", {"is_null_": rnd.random() < 0.3}),
        ("flow_runs", "end_time", "before_after_"): lambda: ("end_time", dict(zip(
            ("after_", "before_"), sorted([when(pool.times), when(pool.times)])))),
        ("flow_runs", "end_time", "is_null_"): lambda: ("end_time", {"is_null_": rnd.random() < 0.3}),
        ("flow_runs", "expected_start_time", "after_"): lambda: ("expected_start_time", {"after_": when(pool.times)}),
        ("flow_runs", "next_scheduled_start_time", "before_"): lambda: (
            "next_scheduled_start_time", {"before_": when(pool.times)}),
        ("flow_runs", "parent_flow_run_id", "any_"): lambda: ("parent_flow_run_id", {"any_": some(col(pool.runs, 0))}),
        ("flow_runs", "parent_task_run_id", "any_"): lambda: (
            "parent_task_run_id", {"any_": some(pool.parent_tasks or col(pool.tasks, 0))}),
        ("flow_runs", "parent_task_run_id", "is_null_"): lambda: ("parent_task_run_id", {"is_null_": rnd.random() < 0.5}),
        ("flow_runs", "idempotency_key", "any_"): lambda: ("idempotency_key", {"any_": some(pool.idem)}),
        ("flow_runs", "idempotency_key", "not_any_"): lambda: ("idempotency_key", {"not_any_": some(pool.idem)}),
        ("flow_runs", "created_by", "type_"): lambda: ("created_by", {"type_": ["DEPLOYMENT"]}),
        ("flow_runs", "created_by", "is_null_"): lambda: ("created_by", {"is_null_": rnd.random() < 0.7}),
        # task_runs
        ("task_runs", "id", "any_"): lambda: ("id", {"any_": some(col(pool.tasks, 0))}),
        ("task_runs", "name", "any_"): lambda: ("name", {"any_": some(pool.task_names)}),
        ("task_runs", "name", "like_"): lambda: ("name", {"like_": piece(rnd.choice(pool.task_names))}),
        ("task_runs", "tags", "all_"): lambda: ("tags", {"all_": some(pool.task_tags, 1, 2)}),
        ("task_runs", "tags", "is_null_"): lambda: ("tags", {"is_null_": rnd.random() < 0.5}),
        ("task_runs", "state", "type.any_"): lambda: ("state", {"type": {"any_": some(STATE_TYPES, 1, 2)}}),
        ("task_runs", "state", "name.any_"): lambda: ("state", {"name": {"any_": some(STATE_NAMES, 1, 2)}}),
        ("task_runs", "start_time", "after_"): lambda: ("start_time", {"after_": when(pool.task_times)}),
        ("task_runs", "start_time", "is_null_"): lambda: ("start_time", {"is_null_": rnd.random() < 0.3}),
        ("task_runs", "end_time", "before_"): lambda: ("end_time", {"before_": when(pool.task_times)}),
        ("task_runs", "expected_start_time", "before_"): lambda: (
            "expected_start_time", {"before_": when(pool.task_times)}),
        ("task_runs", "subflow_runs", "exists_"): lambda: ("subflow_runs", {"exists_": rnd.random() < 0.5}),
        ("task_runs", "flow_run_id", "any_"): lambda: ("flow_run_id", {"any_": some(col(pool.tasks, 8))}),
        ("task_runs", "flow_run_id", "is_null_"): lambda: ("flow_run_id", {"is_null_": rnd.random() < 0.3}),
        # deployments
        ("deployments", "id", "any_"): lambda: ("id", {"any_": some(col(pool.deployments, 0))}),
        ("deployments", "id", "not_any_"): lambda: ("id", {"not_any_": some(col(pool.deployments, 0))}),
        ("deployments", "name", "any_"): lambda: ("name", {"any_": some(col(pool.deployments, 1))}),
        ("deployments", "name", "like_"): lambda: ("name", {"like_": piece(rnd.choice(col(pool.deployments, 1)))}),
        ("deployments", "flow_or_deployment_name", "like_"): lambda: (
            "flow_or_deployment_name", {"like_": piece(rnd.choice(col(pool.deployments, 1)))}),
        ("deployments", "paused", "eq_"): lambda: ("paused", {"eq_": rnd.random() < 0.3}),
        ("deployments", "tags", "all_"): lambda: ("tags", {"all_": some(pool.dep_tags, 1, 2)}),
        ("deployments", "tags", "any_"): lambda: ("tags", {"any_": some(pool.dep_tags, 1, 2)}),
        ("deployments", "tags", "is_null_"): lambda: ("tags", {"is_null_": rnd.random() < 0.5}),
        ("deployments", "work_queue_name", "any_"): lambda: (
            "work_queue_name", {"any_": some([d[3] for d in pool.deployments if d[3]] or ["default"])}),
        ("deployments", "concurrency_limit", "ge_"): lambda: ("concurrency_limit", {"ge_": rnd.randint(0, 5)}),
    }
    return a


def body_from(atoms, gens, rnd, operators=True):
    body, used = {}, []
    for atom in atoms:
        family = atom[0]
        field, value = gens[atom]()
        fam = body.setdefault(family, {})
        fam[field] = value
        used.append(".".join(atom))
    if operators:
        for fam in body.values():
            if len(fam) > 1 and rnd.random() < 0.3:
                fam["operator"] = "or_"
    sort = rnd.choice(SORTS)
    if sort:
        body["sort"] = sort
    limit = rnd.choice(LIMITS)
    if limit is not None:
        body["limit"] = limit
    offset = rnd.choice(OFFSETS)
    if offset is not None:
        body["offset"] = offset
    return body, used


ENDPOINTS = ["/api/artifacts/filter", "/api/artifacts/count", "/api/artifacts/latest/filter",
             "/api/artifacts/latest/count"]


def endpoints(body):
    fields = body.get("artifacts", {})
    if "id" in fields and "latest_id" in fields:
        return []
    if "id" in fields:
        return ENDPOINTS[:2]
    if "latest_id" in fields:
        return ENDPOINTS[2:]
    return ENDPOINTS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a seeded artifactd database of the benchmark dataset")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--count", type=int, default=520)
    ap.add_argument("--min-per-atom", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stat1-out", help="also write DB's sqlite_stat1 as TSV (tbl, idx, stat) for "
                                         "tests/shape_plans.rs")
    args = ap.parse_args()
    if args.stat1_out:
        c = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        rows = c.execute("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
        with open(args.stat1_out, "w") as fh:
            fh.writelines(f"{t}\t{i}\t{s}\n" for t, i, s in rows if i is not None)
        c.close()
    rnd = random.Random(args.seed)
    pool = Pool(args.db, rnd)
    gens = gen(pool, rnd)
    atoms = list(gens)
    shapes = []
    # Coverage: each atom alone, then with one random partner, and so on.
    for rep in range(args.min_per_atom):
        for atom in atoms:
            picked = [atom]
            if rep > 0:
                other = rnd.choice(atoms)
                if other != atom and not (other[0] == atom[0] and other[1] == atom[1]):
                    picked.append(other)
            shapes.append(body_from(picked, gens, rnd))
    while len(shapes) < args.count:
        k = rnd.choice([0, 1, 1, 2, 2, 2, 3])
        picked = []
        for atom in rnd.sample(atoms, k):
            if not any(p[0] == atom[0] and p[1] == atom[1] for p in picked):
                picked.append(atom)
        shapes.append(body_from(picked, gens, rnd))
    out = {"seed": args.seed, "count": len(shapes), "db_counts": pool.counts,
           "atoms": [".".join(a) for a in atoms],
           "shapes": [{"id": f"s{i:04d}", "atoms": used, "endpoints": endpoints(b), "body": b}
                      for i, (b, used) in enumerate(shapes) if endpoints(b)]}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"{len(shapes)} bodies over {len(atoms)} atoms -> {args.out}")


if __name__ == "__main__":
    main()
