#!/usr/bin/env python3
"""Loads a fixture (shared format) straight into a Prefect 3.9.1 SQLite
database whose schema the Prefect server has already created.

    python3 bench/seed_reference.py FIXTURE REF_DB

Much faster than the API: one transaction of plain INSERTs. Columns are
matched by name against `PRAGMA table_info`, and values converted the way
Prefect's SQLAlchemy types store them on SQLite (read off a database the
reference wrote itself, and prefect/server/utilities/database.py):

  * DATETIME  -> 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, no zone);
  * intervals (total_run_time) -> '1970-01-01 00:00:SS.ffffff' (epoch + delta);
  * JSON      -> json.dumps text (artifact data/metadata_ None -> 'null', as
                 SQLAlchemy's JSON type writes it; elsewhere SQL NULL);
  * BOOLEAN   -> 0/1; UUIDs as hyphenated text.

Each run's `state` object becomes a flow_run_state / task_run_state row
that the run's state_id points at, as the reference keeps it. Fields of a
fixture object with no column of the same name are ignored.
"""

import json
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1)
INTERVAL_COLS = {"total_run_time"}
JSON_NULL_TEXT = {"artifact", "artifact_collection"}


def dt(v):
    if v is None:
        return None
    # '2026-06-01T00:00:00.123456Z' -> '2026-06-01 00:00:00.123456'
    if len(v) == 27 and v[10] == "T" and v[26] == "Z":
        return v[:10] + " " + v[11:26]
    d = datetime.fromisoformat(v.replace("Z", "+00:00"))
    if d.tzinfo:
        d = d.astimezone(timezone.utc).replace(tzinfo=None)
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def interval(v):
    return (EPOCH + timedelta(seconds=float(v or 0))).strftime("%Y-%m-%d %H:%M:%S.%f")


class Table:
    def __init__(self, conn, name):
        self.name = name
        self.cols = {}
        for _, col, typ, *_ in conn.execute(f"PRAGMA table_info({name})"):
            self.cols[col] = typ.upper()
        self.stmts = {}

    def convert(self, col, v):
        typ = self.cols[col]
        if col in INTERVAL_COLS:
            return interval(v)
        if typ == "DATETIME":
            return dt(v)
        if typ == "JSON":
            if v is None and self.name not in JSON_NULL_TEXT:
                return None
            return json.dumps(v)
        if typ == "BOOLEAN":
            return None if v is None else int(bool(v))
        return v

    def insert(self, conn, obj):
        names = tuple(c for c in obj if c in self.cols)
        sql = self.stmts.get(names)
        if sql is None:
            sql = self.stmts[names] = (
                f'INSERT INTO {self.name} ({", ".join(chr(34) + c + chr(34) for c in names)}) '
                f'VALUES ({", ".join("?" for _ in names)})')
        conn.execute(sql, [self.convert(c, obj[c]) for c in names])


def state_row(run, kind):
    s = run.get("state") or {}
    if not s.get("id"):
        return None
    details = {"flow_run_id": run["id"] if kind == "flow" else run.get("flow_run_id"),
               "task_run_id": run["id"] if kind == "task" else None}
    row = {"id": s["id"], "created": s.get("timestamp") or run["updated"],
           "updated": s.get("timestamp") or run["updated"], "type": s["type"],
           "timestamp": s.get("timestamp") or run["updated"], "name": s.get("name") or s["type"].capitalize(),
           "message": s.get("message"), "state_details": details}
    row["flow_run_id" if kind == "flow" else "task_run_id"] = run["id"]
    return row


def main():
    fixture, db = sys.argv[1], sys.argv[2]
    t0 = time.monotonic()
    with open(fixture) as fh:
        doc = json.load(fh)
    t1 = time.monotonic()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("BEGIN")
    tables = {n: Table(conn, n) for n in ["flow", "deployment", "flow_run", "task_run", "artifact",
                                          "artifact_collection", "flow_run_state", "task_run_state"]}
    counts = {}
    for arr, tname, kind in [("flows", "flow", None), ("deployments", "deployment", None),
                             ("flow_runs", "flow_run", "flow"), ("task_runs", "task_run", "task"),
                             ("artifacts", "artifact", None), ("artifact_collections", "artifact_collection", None)]:
        t = tables[tname]
        for obj in doc.get(arr) or []:
            if kind:
                obj = dict(obj)
                st = obj.get("state") or {}
                if st.get("timestamp") and "state_timestamp" not in obj:
                    obj["state_timestamp"] = st["timestamp"]
                sr = state_row(obj, kind)
                if sr:
                    obj["state_id"] = sr["id"]
                    tables[f"{kind}_run_state"].insert(conn, sr)
                else:
                    obj["state_id"] = None
            t.insert(conn, obj)
            counts[arr] = counts.get(arr, 0) + 1
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    t2 = time.monotonic()
    print(json.dumps({"parse_s": round(t1 - t0, 2), "insert_s": round(t2 - t1, 2), "rows": counts}))


if __name__ == "__main__":
    main()
