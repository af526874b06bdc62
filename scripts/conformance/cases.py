"""The conformance cases: a deterministic list of (name, path, raw body)
generated from a snapshot of the seeded reference (see seed.py).

Names, order and body shapes never change between recordings; ids and
timestamps are read from the snapshot.  Standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from seed import AUTOMATION_ID

FILTER = "/api/artifacts/filter"
COUNT = "/api/artifacts/count"
LATEST = "/api/artifacts/latest/filter"
LATEST_COUNT = "/api/artifacts/latest/count"
ENDPOINTS = [("filter", FILTER), ("count", COUNT), ("latest", LATEST), ("latest-count", LATEST_COUNT)]

STATE_TYPES = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED",
               "CANCELLING"]
SORTS = ["CREATED_DESC", "UPDATED_DESC", "ID_DESC", "KEY_DESC", "KEY_ASC"]


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def parse_ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def iso_z(d: dt.datetime) -> str:
    d = d.astimezone(dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond:06d}" if d.microsecond else "") + "Z"


def spellings(ts: str, full: bool = True) -> list[tuple[str, object]]:
    """The same instant (or day) written in the ways a client might."""
    d = parse_ts(ts).astimezone(dt.timezone.utc)
    out: list[tuple[str, object]] = [
        ("Z", iso_z(d)),
        ("+05:30", d.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()),
        ("naive", d.replace(tzinfo=None).isoformat()),
        ("date-only", d.date().isoformat()),
        ("unix-int", int(d.timestamp())),
    ]
    if full:
        out += [
            ("+00:00", d.isoformat()),
            ("-08:00", d.astimezone(dt.timezone(dt.timedelta(hours=-8))).isoformat()),
            ("space", d.replace(tzinfo=None).isoformat(sep=" ")),
            ("lowercase-tz", iso_z(d).replace("T", "t").replace("Z", "z")),
            ("unix-float", d.timestamp()),
            ("unix-string", str(int(d.timestamp()))),
            ("unix-millis", int(d.timestamp()) * 1000),
            ("no-seconds", d.strftime("%Y-%m-%dT%H:%MZ")),
            ("compact-offset", d.strftime("%Y-%m-%dT%H:%M:%S+0000")),
        ]
    return out


INVALID_DATETIMES: list[tuple[str, object]] = [
    ("words", "not a date"),
    ("month-13", "2031-13-01T00:00:00Z"),
    ("hour-25", "2031-03-01T25:00:00Z"),
    ("empty-string", ""),
    ("bool", True),
    ("list", ["2031-01-01"]),
    ("object", {"date": "2031-01-01"}),
    ("huge-number", 1e30),
    ("now", "now"),
]


class Data:
    """Lookups into the snapshot by the labels seed.py gave things."""

    def __init__(self, fx: dict):
        self.fx = fx
        self.flow = {f["name"]: f for f in fx["flows"]}
        self.dep = {d["name"]: d for d in fx["deployments"]}
        self.fr = {r["name"]: r for r in fx["flow_runs"]}
        self.tr = {t["name"]: t for t in fx["task_runs"]}
        self.art = {}
        for a in fx["artifacts"]:
            label = a.get("description") or (a.get("key") or "")
            self.art[label] = a
        self.coll = {c["key"]: c for c in fx["artifact_collections"]}
        self.scheduled_by_deployment = sorted(
            (r for r in fx["flow_runs"] if (r.get("created_by") or {}).get("type") == "SCHEDULE"),
            key=lambda r: r["expected_start_time"])

    def fr_id(self, name):
        return self.fr[name]["id"]

    def tr_id(self, name):
        return self.tr[name]["id"]

    def median(self, rows, field):
        vals = sorted(r[field] for r in rows if r.get(field))
        return vals[len(vals) // 2]


def generate(fx: dict) -> list[tuple[str, str, str]]:
    d = Data(fx)
    out: list[tuple[str, str, str]] = []

    def add(name: str, path: str, body) -> None:
        out.append((name, path, body if isinstance(body, str) else dumps(body)))

    def all4(name: str, body) -> None:
        for ep, path in ENDPOINTS:
            add(f"{ep}: {name}", path, body)

    def art4(name: str, make) -> None:
        """`make(id_field, table)` builds the body for each table."""
        for ep, path in ENDPOINTS:
            table = "collection" if ep.startswith("latest") else "artifact"
            body = make("latest_id" if table == "collection" else "id", table)
            if body is not None:
                add(f"{ep}: {name}", path, body)

    # ------------------------------------------------------------------
    # whole bodies, null vs {} families
    all4("body {}", {})
    all4("body empty", "")
    all4("body null", "null")
    all4("all families null",
         {"artifacts": None, "flow_runs": None, "task_runs": None, "flows": None, "deployments": None})
    all4("all families {}", {"artifacts": {}, "flow_runs": {}, "task_runs": {}, "flows": {}, "deployments": {}})
    for fam in ["artifacts", "flow_runs", "task_runs", "flows", "deployments"]:
        all4(f"{fam} {{}}", {fam: {}})
        all4(f"{fam} null", {fam: None})
    all4("flow_runs {} + task_runs {}", {"flow_runs": {}, "task_runs": {}})
    all4("flows {} + deployments {}", {"flows": {}, "deployments": {}})
    all4("top-level unknown key is ignored", {"unknown": 1, "artifacts": {}})

    # ------------------------------------------------------------------
    # artifacts family (ArtifactFilter / ArtifactCollectionFilter)
    A = "artifacts"
    sales = d.coll["sales-report"]["latest_id"]
    metrics = d.coll["metrics"]["latest_id"]
    sales_v1 = d.art["sales v1"]["id"]
    art4("artifacts.id.any_ latest ids", lambda f, t: {A: {f: {"any_": [sales, metrics]}}})
    art4("artifacts.id.any_ an old version", lambda f, t: {A: {f: {"any_": [sales_v1]}}})
    art4("artifacts.id.any_ []", lambda f, t: {A: {f: {"any_": []}}})
    art4("artifacts.id.any_ null", lambda f, t: {A: {f: {"any_": None}}})
    art4("artifacts.id {}", lambda f, t: {A: {f: {}}})
    art4("artifacts.id.any_ upper-case uuid", lambda f, t: {A: {f: {"any_": [sales.upper()]}}})
    art4("artifacts.id.any_ dash-less uuid", lambda f, t: {A: {f: {"any_": [sales.replace("-", "")]}}})
    art4("artifacts.id.any_ braced uuid", lambda f, t: {A: {f: {"any_": ["{" + sales + "}"]}}})
    art4("artifacts.id.any_ urn uuid", lambda f, t: {A: {f: {"any_": ["urn:uuid:" + sales]}}})
    art4("artifacts.id.any_ unknown uuid",
         lambda f, t: {A: {f: {"any_": ["00000000-0000-4000-8000-000000000000"]}}})
    art4("artifacts.id.any_ invalid uuid", lambda f, t: {A: {f: {"any_": ["not-a-uuid"]}}})
    art4("artifacts.id.any_ one valid one invalid", lambda f, t: {A: {f: {"any_": [sales, "xyz", 5]}}})
    art4("artifacts.id.any_ number", lambda f, t: {A: {f: {"any_": [12345]}}})
    art4("artifacts.id.any_ not a list", lambda f, t: {A: {f: {"any_": sales}}})
    art4("artifacts.id.any_ object", lambda f, t: {A: {f: {"any_": {"a": 1}}}})
    art4("artifacts.id wrong field for table (id vs latest_id)",
         lambda f, t: {A: {("id" if f == "latest_id" else "latest_id"): {"any_": [sales]}}})
    art4("artifacts.id.not_any_ is unknown", lambda f, t: {A: {f: {"not_any_": [sales]}}})

    for label, like in [("plain", "sales"), ("upper-case", "SALES"), ("mixed-case", "MeTrIcS"),
                        ("percent", "%"), ("underscore", "_"), ("percent inside", "s%s"),
                        ("underscore inside", "a_b"), ("dash", "-"), ("empty", ""), ("no match", "zzz"),
                        ("prefix percent", "%report"), ("backslash", "\\"), ("unicode", "é")]:
        art4(f"artifacts.key.like_ {label}", lambda f, t, like=like: {A: {"key": {"like_": like}}})
    art4("artifacts.key.like_ null", lambda f, t: {A: {"key": {"like_": None}}})
    art4("artifacts.key.any_ one", lambda f, t: {A: {"key": {"any_": ["sales-report"]}}})
    art4("artifacts.key.any_ several", lambda f, t: {A: {"key": {"any_": ["metrics", "link-out", "nope"]}}})
    art4("artifacts.key.any_ deleted key", lambda f, t: {A: {"key": {"any_": ["gone-key"]}}})
    art4("artifacts.key.any_ []", lambda f, t: {A: {"key": {"any_": []}}})
    art4("artifacts.key.any_ case differs", lambda f, t: {A: {"key": {"any_": ["METRICS"]}}})
    art4("artifacts.key.any_ number", lambda f, t: {A: {"key": {"any_": [1]}}})
    art4("artifacts.key.any_ null inside", lambda f, t: {A: {"key": {"any_": [None]}}})
    art4("artifacts.key.exists_ true", lambda f, t: {A: {"key": {"exists_": True}}})
    art4("artifacts.key.exists_ false", lambda f, t: {A: {"key": {"exists_": False}}})
    for label, v in [("'yes'", "yes"), ("'0'", "0"), ("'true'", "true"), ("'off'", "off"), ("1", 1),
                     ("0", 0), ("'maybe'", "maybe"), ("2", 2), ("1.0", 1.0), ("[]", [])]:
        art4(f"artifacts.key.exists_ {label}", lambda f, t, v=v: {A: {"key": {"exists_": v}}})
    art4("artifacts.key like_ + exists_ + any_",
         lambda f, t: {A: {"key": {"like_": "s", "exists_": True, "any_": ["sales-report", "metrics"]}}})
    art4("artifacts.key {}", lambda f, t: {A: {"key": {}}})
    art4("artifacts.key.like_ number", lambda f, t: {A: {"key": {"like_": 5}}})

    fr_done, fr_mixed = d.fr_id("run 100% done"), d.fr_id("MIXED_case_Run")
    art4("artifacts.flow_run_id.any_", lambda f, t: {A: {"flow_run_id": {"any_": [fr_done, fr_mixed]}}})
    art4("artifacts.flow_run_id.any_ []", lambda f, t: {A: {"flow_run_id": {"any_": []}}})
    art4("artifacts.flow_run_id.any_ upper-case",
         lambda f, t: {A: {"flow_run_id": {"any_": [d.fr_id("failing_run").upper()]}}})
    art4("artifacts.flow_run_id.any_ invalid", lambda f, t: {A: {"flow_run_id": {"any_": ["1234"]}}})
    art4("artifacts.flow_run_id.is_null_ is unknown", lambda f, t: {A: {"flow_run_id": {"is_null_": True}}})
    tr_orphan, tr_extract = d.tr_id("orphan_task"), d.tr_id("Extract_Data")
    art4("artifacts.task_run_id.any_", lambda f, t: {A: {"task_run_id": {"any_": [tr_orphan, tr_extract]}}})
    art4("artifacts.task_run_id.any_ []", lambda f, t: {A: {"task_run_id": {"any_": []}}})
    art4("artifacts.task_run_id.any_ dash-less",
         lambda f, t: {A: {"task_run_id": {"any_": [tr_orphan.replace("-", "")]}}})
    art4("artifacts.task_run_id.any_ null", lambda f, t: {A: {"task_run_id": {"any_": None}}})

    art4("artifacts.type.any_ markdown", lambda f, t: {A: {"type": {"any_": ["markdown"]}}})
    art4("artifacts.type.any_ several", lambda f, t: {A: {"type": {"any_": ["table", "link", "my-custom-type"]}}})
    art4("artifacts.type.any_ []", lambda f, t: {A: {"type": {"any_": []}}})
    art4("artifacts.type.any_ case differs", lambda f, t: {A: {"type": {"any_": ["Markdown"]}}})
    art4("artifacts.type.not_any_ markdown", lambda f, t: {A: {"type": {"not_any_": ["markdown"]}}})
    art4("artifacts.type.not_any_ several", lambda f, t: {A: {"type": {"not_any_": ["markdown", "table"]}}})
    art4("artifacts.type.not_any_ []", lambda f, t: {A: {"type": {"not_any_": []}}})
    art4("artifacts.type any_ [] + not_any_ []", lambda f, t: {A: {"type": {"any_": [], "not_any_": []}}})
    art4("artifacts.type any_ + not_any_",
         lambda f, t: {A: {"type": {"any_": ["markdown", "table"], "not_any_": ["table"]}}})
    art4("artifacts.type.any_ result", lambda f, t: {A: {"type": {"any_": ["result", "progress", "image"]}}})
    art4("artifacts.type.not_any_ string", lambda f, t: {A: {"type": {"not_any_": "markdown"}}})

    art4("artifacts.operator and_", lambda f, t: {A: {"operator": "and_", "type": {"any_": ["markdown"]},
                                                      "key": {"exists_": True}}})
    art4("artifacts.operator or_", lambda f, t: {A: {"operator": "or_", "type": {"any_": ["link"]},
                                                     "key": {"like_": "metric"}}})
    art4("artifacts.operator or_ with empty sub-filters",
         lambda f, t: {A: {"operator": "or_", "type": {}, "key": {}}})
    art4("artifacts.operator or_ with one empty sub-filter",
         lambda f, t: {A: {"operator": "or_", "type": {"any_": ["link"]}, "key": {}}})
    art4("artifacts.operator or_ alone", lambda f, t: {A: {"operator": "or_"}})
    art4("artifacts.operator or_ any_ []",
         lambda f, t: {A: {"operator": "or_", "type": {"any_": []}, f: {"any_": []}}})
    art4("artifacts.operator or_ all fields", lambda f, t: {A: {
        "operator": "or_", f: {"any_": [sales]}, "key": {"any_": ["link-out"]},
        "flow_run_id": {"any_": [fr_mixed]}, "task_run_id": {"any_": [tr_orphan]},
        "type": {"not_any_": ["markdown", "table", "link", "progress", "image", "result", "my-custom-type"]}}})
    art4("artifacts.operator and_ all fields", lambda f, t: {A: {
        f: {"any_": [sales, metrics]}, "key": {"like_": "e", "exists_": True},
        "flow_run_id": {"any_": [fr_done, d.fr_id("failing_run"), d.fr_id("sub_flow_run")]},
        "task_run_id": {"any_": []}, "type": {"any_": ["markdown", "table"]}}})
    art4("artifacts.operator invalid", lambda f, t: {A: {"operator": "xor"}})
    art4("artifacts.operator upper-case", lambda f, t: {A: {"operator": "OR_"}})
    art4("artifacts.operator without underscore", lambda f, t: {A: {"operator": "or"}})
    art4("artifacts.operator null", lambda f, t: {A: {"operator": None}})
    art4("artifacts.operator number", lambda f, t: {A: {"operator": 1}})
    art4("artifacts unknown field", lambda f, t: {A: {"name": {"any_": ["x"]}}})
    art4("artifacts.key unknown field", lambda f, t: {A: {"key": {"all_": ["x"]}}})
    art4("artifacts.type.operator is unknown", lambda f, t: {A: {"type": {"operator": "or_"}}})
    art4("artifacts is a list", lambda f, t: {A: [{"key": {"any_": ["x"]}}]})
    art4("artifacts is a string", lambda f, t: {A: "sales"})
    art4("artifacts.key is a string", lambda f, t: {A: {"key": "sales"}})
    art4("artifacts.key is null", lambda f, t: {A: {"key": None}})

    # ------------------------------------------------------------------
    # flow_runs family
    F = "flow_runs"
    r_ids = [d.fr_id("run 100% done"), d.fr_id("failing_run")]
    all4("flow_runs.id.any_", {F: {"id": {"any_": r_ids}}})
    all4("flow_runs.id.any_ []", {F: {"id": {"any_": []}}})
    all4("flow_runs.id.not_any_", {F: {"id": {"not_any_": r_ids}}})
    all4("flow_runs.id.not_any_ []", {F: {"id": {"not_any_": []}}})
    all4("flow_runs.id any_ + not_any_", {F: {"id": {"any_": r_ids, "not_any_": r_ids[:1]}}})
    all4("flow_runs.id.any_ upper-case", {F: {"id": {"any_": [r_ids[0].upper()]}}})
    all4("flow_runs.id.any_ dash-less", {F: {"id": {"any_": [r_ids[1].replace("-", "")]}}})
    all4("flow_runs.id.any_ invalid", {F: {"id": {"any_": ["abc", r_ids[0]]}}})
    all4("flow_runs.id.not_any_ invalid", {F: {"id": {"not_any_": [42]}}})

    for label, like in [("plain", "run"), ("upper-case", "RUN"), ("percent", "%"), ("literal percent", "100%"),
                        ("underscore", "_"), ("underscore inside", "d_r"), ("empty", ""), ("no match", "zzz"),
                        ("mixed", "mIxEd")]:
        all4(f"flow_runs.name.like_ {label}", {F: {"name": {"like_": like}}})
    all4("flow_runs.name.any_", {F: {"name": {"any_": ["failing_run", "run 100% done"]}}})
    all4("flow_runs.name.any_ []", {F: {"name": {"any_": []}}})
    all4("flow_runs.name.any_ case differs", {F: {"name": {"any_": ["FAILING_RUN"]}}})
    all4("flow_runs.name any_ + like_", {F: {"name": {"any_": ["failing_run", "paused_run"], "like_": "pause"}}})

    all4("flow_runs.tags.all_ one", {F: {"tags": {"all_": ["a"]}}})
    all4("flow_runs.tags.all_ two", {F: {"tags": {"all_": ["a", "b"]}}})
    all4("flow_runs.tags.all_ []", {F: {"tags": {"all_": []}}})
    all4("flow_runs.tags.all_ unknown tag", {F: {"tags": {"all_": ["nope"]}}})
    all4("flow_runs.tags.any_", {F: {"tags": {"any_": ["b", "x_y"]}}})
    all4("flow_runs.tags.any_ []", {F: {"tags": {"any_": []}}})
    all4("flow_runs.tags.is_null_ true", {F: {"tags": {"is_null_": True}}})
    all4("flow_runs.tags.is_null_ false", {F: {"tags": {"is_null_": False}}})
    all4("flow_runs.tags.is_null_ 'no'", {F: {"tags": {"is_null_": "no"}}})
    all4("flow_runs.tags operator or_", {F: {"tags": {"operator": "or_", "all_": ["a", "b"], "is_null_": True}}})
    all4("flow_runs.tags operator and_ all three",
         {F: {"tags": {"operator": "and_", "all_": ["a"], "any_": ["b", "c"], "is_null_": False}}})
    all4("flow_runs.tags operator or_ empty", {F: {"tags": {"operator": "or_"}}})
    all4("flow_runs.tags.all_ string", {F: {"tags": {"all_": "a"}}})

    dep_n, dep_h = d.dep["nightly-deploy"]["id"], d.dep["hourly"]["id"]
    all4("flow_runs.deployment_id.any_", {F: {"deployment_id": {"any_": [dep_n, dep_h]}}})
    all4("flow_runs.deployment_id.any_ []", {F: {"deployment_id": {"any_": []}}})
    all4("flow_runs.deployment_id.is_null_ true", {F: {"deployment_id": {"is_null_": True}}})
    all4("flow_runs.deployment_id.is_null_ false", {F: {"deployment_id": {"is_null_": False}}})
    all4("flow_runs.deployment_id operator or_",
         {F: {"deployment_id": {"operator": "or_", "any_": [dep_h], "is_null_": True}}})
    all4("flow_runs.deployment_id any_ + is_null_ true", {F: {"deployment_id": {"any_": [dep_h], "is_null_": True}}})
    all4("flow_runs.deployment_id.any_ invalid", {F: {"deployment_id": {"any_": ["nope"]}}})

    all4("flow_runs.work_queue_name.any_", {F: {"work_queue_name": {"any_": ["default"]}}})
    all4("flow_runs.work_queue_name.any_ several", {F: {"work_queue_name": {"any_": ["critical", "nope"]}}})
    all4("flow_runs.work_queue_name.any_ []", {F: {"work_queue_name": {"any_": []}}})
    all4("flow_runs.work_queue_name.is_null_ true", {F: {"work_queue_name": {"is_null_": True}}})
    all4("flow_runs.work_queue_name.is_null_ false", {F: {"work_queue_name": {"is_null_": False}}})
    all4("flow_runs.work_queue_name operator or_",
         {F: {"work_queue_name": {"operator": "or_", "any_": ["critical"], "is_null_": True}}})

    for st in STATE_TYPES:
        all4(f"flow_runs.state.type.any_ {st}", {F: {"state": {"type": {"any_": [st]}}}})
    all4("flow_runs.state.type.any_ several", {F: {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}}})
    all4("flow_runs.state.type.any_ []", {F: {"state": {"type": {"any_": []}}}})
    all4("flow_runs.state.type.not_any_", {F: {"state": {"type": {"not_any_": ["COMPLETED", "SCHEDULED"]}}}})
    all4("flow_runs.state.type.not_any_ []", {F: {"state": {"type": {"not_any_": []}}}})
    all4("flow_runs.state.type.any_ lower-case", {F: {"state": {"type": {"any_": ["completed"]}}}})
    all4("flow_runs.state.type.any_ invalid", {F: {"state": {"type": {"any_": ["BOGUS", "RUNNING"]}}}})
    all4("flow_runs.state.type.any_ string", {F: {"state": {"type": {"any_": "RUNNING"}}}})
    all4("flow_runs.state.name.any_", {F: {"state": {"name": {"any_": ["Late", "Running"]}}}})
    all4("flow_runs.state.name.any_ []", {F: {"state": {"name": {"any_": []}}}})
    all4("flow_runs.state.name.any_ case differs", {F: {"state": {"name": {"any_": ["late"]}}}})
    all4("flow_runs.state.name.not_any_", {F: {"state": {"name": {"not_any_": ["Scheduled", "Completed"]}}}})
    all4("flow_runs.state.name.not_any_ []", {F: {"state": {"name": {"not_any_": []}}}})
    all4("flow_runs.state operator or_",
         {F: {"state": {"operator": "or_", "type": {"any_": ["PAUSED"]}, "name": {"any_": ["Late", "Cached"]}}}})
    all4("flow_runs.state operator and_",
         {F: {"state": {"type": {"any_": ["SCHEDULED"]}, "name": {"not_any_": ["Scheduled"]}}}})
    all4("flow_runs.state {}", {F: {"state": {}}})
    all4("flow_runs.state.type {}", {F: {"state": {"type": {}}}})
    all4("flow_runs.state operator or_ with empty sub-filters", {F: {"state": {"operator": "or_", "type": {},
                                                                            "name": {}}}})

    all4("flow_runs.flow_version.any_", {F: {"flow_version": {"any_": ["1.0"]}}})
    all4("flow_runs.flow_version.any_ several", {F: {"flow_version": {"any_": ["2.0", "3.0"]}}})
    all4("flow_runs.flow_version.any_ empty string", {F: {"flow_version": {"any_": [""]}}})
    all4("flow_runs.flow_version.any_ []", {F: {"flow_version": {"any_": []}}})
    all4("flow_runs.flow_version.any_ number", {F: {"flow_version": {"any_": [1.0]}}})

    frs = fx["flow_runs"]
    for field in ["start_time", "end_time"]:
        mid = d.median(frs, field)
        for label, v in spellings(mid, full=(field == "start_time")):
            all4(f"flow_runs.{field}.before_ median {label}", {F: {field: {"before_": v}}})
            all4(f"flow_runs.{field}.after_ median {label}", {F: {field: {"after_": v}}})
        all4(f"flow_runs.{field}.is_null_ true", {F: {field: {"is_null_": True}}})
        all4(f"flow_runs.{field}.is_null_ false", {F: {field: {"is_null_": False}}})
        all4(f"flow_runs.{field}.is_null_ '1'", {F: {field: {"is_null_": "1"}}})
        all4(f"flow_runs.{field} before_ + after_ around median",
             {F: {field: {"after_": mid, "before_": mid}}})
        all4(f"flow_runs.{field} after_ + is_null_ true", {F: {field: {"after_": "2000-01-01", "is_null_": True}}})
        all4(f"flow_runs.{field}.after_ 1970", {F: {field: {"after_": 0}}})
        all4(f"flow_runs.{field}.before_ 2100", {F: {field: {"before_": "2100-01-01T00:00:00Z"}}})
    for label, v in spellings("2031-03-01T12:00:00Z"):
        all4(f"flow_runs.expected_start_time.before_ 2031-03-01T12 {label}",
             {F: {"expected_start_time": {"before_": v}}})
        all4(f"flow_runs.expected_start_time.after_ 2031-03-01T12 {label}",
             {F: {"expected_start_time": {"after_": v}}})
    all4("flow_runs.expected_start_time.before_ 2030-06-15T06:30Z (AwaitingRetry, given as +02:00)",
         {F: {"expected_start_time": {"before_": "2030-06-15T06:30:00Z"}}})
    all4("flow_runs.expected_start_time.after_ 2030-06-15T06:30:00.000001Z",
         {F: {"expected_start_time": {"after_": "2030-06-15T06:30:00.000001Z"}}})
    all4("flow_runs.expected_start_time window",
         {F: {"expected_start_time": {"after_": "2029-01-01", "before_": "2032-12-31"}}})
    all4("flow_runs.expected_start_time {}", {F: {"expected_start_time": {}}})
    for label, v in spellings("2030-01-01T00:00:00Z", full=False):
        all4(f"flow_runs.next_scheduled_start_time.before_ 2030 {label}",
             {F: {"next_scheduled_start_time": {"before_": v}}})
        all4(f"flow_runs.next_scheduled_start_time.after_ 2030 {label}",
             {F: {"next_scheduled_start_time": {"after_": v}}})
    all4("flow_runs.next_scheduled_start_time window",
         {F: {"next_scheduled_start_time": {"after_": "2031-01-01", "before_": "2032-01-01T12:00:00+00:00"}}})
    for label, v in INVALID_DATETIMES:
        all4(f"flow_runs.start_time.before_ invalid {label}", {F: {"start_time": {"before_": v}}})
    all4("flow_runs.expected_start_time.after_ invalid", {F: {"expected_start_time": {"after_": "yesterday"}}})
    all4("flow_runs.next_scheduled_start_time.before_ invalid",
         {F: {"next_scheduled_start_time": {"before_": "2031-02-30"}}})
    all4("flow_runs.expected_start_time.is_null_ is unknown", {F: {"expected_start_time": {"is_null_": True}}})

    caller = d.fr_id("MIXED_case_Run")
    all4("flow_runs.parent_flow_run_id.any_", {F: {"parent_flow_run_id": {"any_": [caller]}}})
    all4("flow_runs.parent_flow_run_id.any_ several",
         {F: {"parent_flow_run_id": {"any_": [caller, d.fr_id("crashed run")]}}})
    all4("flow_runs.parent_flow_run_id.any_ []", {F: {"parent_flow_run_id": {"any_": []}}})
    all4("flow_runs.parent_flow_run_id operator or_",
         {F: {"parent_flow_run_id": {"operator": "or_", "any_": [caller]}}})
    all4("flow_runs.parent_flow_run_id.any_ invalid", {F: {"parent_flow_run_id": {"any_": ["x"]}}})
    t_parent = d.tr_id("subflow-caller")
    all4("flow_runs.parent_task_run_id.any_", {F: {"parent_task_run_id": {"any_": [t_parent]}}})
    all4("flow_runs.parent_task_run_id.any_ []", {F: {"parent_task_run_id": {"any_": []}}})
    all4("flow_runs.parent_task_run_id.is_null_ true", {F: {"parent_task_run_id": {"is_null_": True}}})
    all4("flow_runs.parent_task_run_id.is_null_ false", {F: {"parent_task_run_id": {"is_null_": False}}})
    all4("flow_runs.parent_task_run_id operator or_",
         {F: {"parent_task_run_id": {"operator": "or_", "any_": [t_parent], "is_null_": True}}})
    all4("flow_runs.parent_task_run_id any_ + is_null_ false",
         {F: {"parent_task_run_id": {"any_": [t_parent.upper()], "is_null_": False}}})

    all4("flow_runs.idempotency_key.any_", {F: {"idempotency_key": {"any_": ["idem-1", "idem-3"]}}})
    all4("flow_runs.idempotency_key.any_ []", {F: {"idempotency_key": {"any_": []}}})
    all4("flow_runs.idempotency_key.not_any_", {F: {"idempotency_key": {"not_any_": ["idem-1"]}}})
    all4("flow_runs.idempotency_key.not_any_ []", {F: {"idempotency_key": {"not_any_": []}}})
    all4("flow_runs.idempotency_key any_ + not_any_",
         {F: {"idempotency_key": {"any_": ["idem-1", "idem-2"], "not_any_": ["idem-2"]}}})

    aut = AUTOMATION_ID
    all4("flow_runs.created_by.id_", {F: {"created_by": {"id_": [aut]}}})
    all4("flow_runs.created_by.id_ upper-case", {F: {"created_by": {"id_": [aut.upper()]}}})
    all4("flow_runs.created_by.id_ []", {F: {"created_by": {"id_": []}}})
    all4("flow_runs.created_by.id_ invalid", {F: {"created_by": {"id_": ["automation"]}}})
    all4("flow_runs.created_by.type_", {F: {"created_by": {"type_": ["AUTOMATION"]}}})
    all4("flow_runs.created_by.type_ several", {F: {"created_by": {"type_": ["SCHEDULE", "AUTOMATION"]}}})
    all4("flow_runs.created_by.type_ SCHEDULE", {F: {"created_by": {"type_": ["SCHEDULE"]}}})
    all4("flow_runs.created_by.type_ case differs", {F: {"created_by": {"type_": ["automation"]}}})
    all4("flow_runs.created_by.type_ []", {F: {"created_by": {"type_": []}}})
    all4("flow_runs.created_by.is_null_ true", {F: {"created_by": {"is_null_": True}}})
    all4("flow_runs.created_by.is_null_ false", {F: {"created_by": {"is_null_": False}}})
    all4("flow_runs.created_by operator or_",
         {F: {"created_by": {"operator": "or_", "type_": ["SCHEDULE"], "id_": [aut]}}})
    all4("flow_runs.created_by id_ + type_ mismatch", {F: {"created_by": {"id_": [aut], "type_": ["SCHEDULE"]}}})

    all4("flow_runs.operator or_", {F: {"operator": "or_", "name": {"any_": ["failing_run"]},
                                        "tags": {"all_": ["x_y"]}}})
    all4("flow_runs.operator or_ with empty sub-filters", {F: {"operator": "or_", "name": {}, "tags": {},
                                                              "state": {}}})
    all4("flow_runs.operator or_ alone", {F: {"operator": "or_"}})
    all4("flow_runs.operator or_ nested or_", {F: {"operator": "or_",
                                                   "state": {"operator": "or_", "type": {"any_": ["CRASHED"]},
                                                             "name": {"any_": ["Suspended"]}},
                                                   "tags": {"operator": "or_", "all_": ["c"], "is_null_": True}}})
    all4("flow_runs.operator and_ many fields", {F: {
        "tags": {"any_": ["a", "nightly"]}, "state": {"type": {"not_any_": ["SCHEDULED"]}},
        "start_time": {"is_null_": False}, "deployment_id": {"is_null_": False}}})
    all4("flow_runs.operator invalid", {F: {"operator": "and"}})

    # ------------------------------------------------------------------
    # task_runs family
    T = "task_runs"
    t_ids = [d.tr_id("Extract_Data"), d.tr_id("orphan_task")]
    all4("task_runs.id.any_", {T: {"id": {"any_": t_ids}}})
    all4("task_runs.id.any_ []", {T: {"id": {"any_": []}}})
    all4("task_runs.id.any_ upper-case dash-less", {T: {"id": {"any_": [t_ids[0].upper().replace("-", "")]}}})
    all4("task_runs.id.not_any_ is unknown", {T: {"id": {"not_any_": t_ids}}})
    for label, like in [("plain", "task"), ("upper-case", "TASK"), ("percent", "%"), ("literal percent", "50%"),
                        ("underscore", "_"), ("empty", ""), ("no match", "zzz")]:
        all4(f"task_runs.name.like_ {label}", {T: {"name": {"like_": like}}})
    all4("task_runs.name.any_", {T: {"name": {"any_": ["transform", "Crash_Task"]}}})
    all4("task_runs.name.any_ []", {T: {"name": {"any_": []}}})
    all4("task_runs.tags.all_", {T: {"tags": {"all_": ["etl"]}}})
    all4("task_runs.tags.all_ two", {T: {"tags": {"all_": ["etl", "shared"]}}})
    all4("task_runs.tags.all_ []", {T: {"tags": {"all_": []}}})
    all4("task_runs.tags.is_null_ true", {T: {"tags": {"is_null_": True}}})
    all4("task_runs.tags.is_null_ false", {T: {"tags": {"is_null_": False}}})
    all4("task_runs.tags operator or_", {T: {"tags": {"operator": "or_", "all_": ["orphan"], "is_null_": True}}})
    all4("task_runs.tags.any_ is unknown", {T: {"tags": {"any_": ["etl"]}}})
    for st in STATE_TYPES:
        all4(f"task_runs.state.type.any_ {st}", {T: {"state": {"type": {"any_": [st]}}}})
    all4("task_runs.state.type.any_ []", {T: {"state": {"type": {"any_": []}}}})
    all4("task_runs.state.type.any_ invalid", {T: {"state": {"type": {"any_": ["DONE"]}}}})
    all4("task_runs.state.type.not_any_ is unknown", {T: {"state": {"type": {"not_any_": ["RUNNING"]}}}})
    all4("task_runs.state.name.any_", {T: {"state": {"name": {"any_": ["AwaitingRetry", "Crashed"]}}}})
    all4("task_runs.state.name.any_ []", {T: {"state": {"name": {"any_": []}}}})
    all4("task_runs.state operator or_", {T: {"state": {"operator": "or_", "type": {"any_": ["RUNNING"]},
                                                         "name": {"any_": ["Failed"]}}}})
    all4("task_runs.state operator and_", {T: {"state": {"type": {"any_": ["SCHEDULED", "RUNNING"]},
                                                          "name": {"any_": ["AwaitingRetry"]}}}})
    trs = fx["task_runs"]
    for field in ["start_time", "end_time"]:
        mid = d.median(trs, field)
        for label, v in spellings(mid, full=False):
            all4(f"task_runs.{field}.before_ median {label}", {T: {field: {"before_": v}}})
            all4(f"task_runs.{field}.after_ median {label}", {T: {field: {"after_": v}}})
        all4(f"task_runs.{field}.is_null_ true", {T: {field: {"is_null_": True}}})
        all4(f"task_runs.{field}.is_null_ false", {T: {field: {"is_null_": False}}})
        all4(f"task_runs.{field}.before_ invalid", {T: {field: {"before_": "31/12/2030"}}})
    all4("task_runs.expected_start_time.after_ 2030-05-05T05:05:05Z",
         {T: {"expected_start_time": {"after_": "2030-05-05T05:05:05Z"}}})
    all4("task_runs.expected_start_time.before_ 2030-05-05T05:05:05+05:30",
         {T: {"expected_start_time": {"before_": "2030-05-05T05:05:05+05:30"}}})
    all4("task_runs.expected_start_time.before_ 2030 naive",
         {T: {"expected_start_time": {"before_": "2030-05-05T05:05:05"}}})
    all4("task_runs.expected_start_time.before_ median",
         {T: {"expected_start_time": {"before_": d.median(trs, "expected_start_time")}}})
    all4("task_runs.subflow_runs.exists_ true", {T: {"subflow_runs": {"exists_": True}}})
    all4("task_runs.subflow_runs.exists_ false", {T: {"subflow_runs": {"exists_": False}}})
    all4("task_runs.subflow_runs.exists_ 'yes'", {T: {"subflow_runs": {"exists_": "yes"}}})
    all4("task_runs.subflow_runs {}", {T: {"subflow_runs": {}}})
    all4("task_runs.flow_run_id.any_", {T: {"flow_run_id": {"any_": [d.fr_id("MIXED_case_Run")]}}})
    all4("task_runs.flow_run_id.any_ []", {T: {"flow_run_id": {"any_": []}}})
    all4("task_runs.flow_run_id.is_null_ true", {T: {"flow_run_id": {"is_null_": True}}})
    all4("task_runs.flow_run_id.is_null_ false", {T: {"flow_run_id": {"is_null_": False}}})
    all4("task_runs.flow_run_id operator or_",
         {T: {"flow_run_id": {"operator": "or_", "any_": [d.fr_id("failing_run")], "is_null_": True}}})
    all4("task_runs.operator or_", {T: {"operator": "or_", "name": {"like_": "crash"}, "tags": {"all_": ["etl"]}}})
    all4("task_runs.operator or_ with empty sub-filters", {T: {"operator": "or_", "name": {}, "state": {}}})
    all4("task_runs.operator or_ alone", {T: {"operator": "or_"}})

    # ------------------------------------------------------------------
    # flows family
    W = "flows"
    f_ids = [d.flow["ETL_Nightly"]["id"], d.flow["aXb"]["id"]]
    all4("flows.id.any_", {W: {"id": {"any_": f_ids}}})
    all4("flows.id.any_ []", {W: {"id": {"any_": []}}})
    all4("flows.id.not_any_", {W: {"id": {"not_any_": f_ids}}})
    all4("flows.id.not_any_ []", {W: {"id": {"not_any_": []}}})
    all4("flows.id.any_ upper-case", {W: {"id": {"any_": [f_ids[0].upper()]}}})
    all4("flows.deployment.is_null_ true", {W: {"deployment": {"is_null_": True}}})
    all4("flows.deployment.is_null_ false", {W: {"deployment": {"is_null_": False}}})
    all4("flows.deployment.is_null_ 'false'", {W: {"deployment": {"is_null_": "false"}}})
    all4("flows.deployment operator or_", {W: {"deployment": {"operator": "or_", "is_null_": True}}})
    all4("flows.deployment {}", {W: {"deployment": {}}})
    for label, like in [("plain", "etl"), ("upper-case", "ETL"), ("underscore wildcard", "a_b"),
                        ("underscore", "_"), ("percent", "%"), ("empty", ""), ("mixed", "mixed_case")]:
        all4(f"flows.name.like_ {label}", {W: {"name": {"like_": like}}})
    all4("flows.name.any_", {W: {"name": {"any_": ["ETL_Nightly", "a_b"]}}})
    all4("flows.name.any_ []", {W: {"name": {"any_": []}}})
    all4("flows.name.any_ case differs", {W: {"name": {"any_": ["etl_nightly"]}}})
    all4("flows.tags.all_", {W: {"tags": {"all_": ["shared"]}}})
    all4("flows.tags.all_ two", {W: {"tags": {"all_": ["shared", "nightly"]}}})
    all4("flows.tags.all_ []", {W: {"tags": {"all_": []}}})
    all4("flows.tags.is_null_ true", {W: {"tags": {"is_null_": True}}})
    all4("flows.tags.is_null_ false", {W: {"tags": {"is_null_": False}}})
    all4("flows.tags operator or_", {W: {"tags": {"operator": "or_", "all_": ["solo"], "is_null_": True}}})
    all4("flows.tags.any_ is unknown", {W: {"tags": {"any_": ["solo"]}}})
    all4("flows.operator or_", {W: {"operator": "or_", "name": {"like_": "report"}, "tags": {"all_": ["x_y"]}}})
    all4("flows.operator or_ with empty sub-filters", {W: {"operator": "or_", "name": {}, "tags": {}}})
    all4("flows.operator and_", {W: {"operator": "and_", "deployment": {"is_null_": False},
                                     "tags": {"all_": ["shared"]}}})

    # ------------------------------------------------------------------
    # deployments family
    D = "deployments"
    d_ids = [d.dep["nightly-deploy"]["id"], d.dep["Paused_Deploy"]["id"]]
    all4("deployments.id.any_", {D: {"id": {"any_": d_ids}}})
    all4("deployments.id.any_ []", {D: {"id": {"any_": []}}})
    all4("deployments.id.not_any_", {D: {"id": {"not_any_": d_ids}}})
    all4("deployments.id.not_any_ []", {D: {"id": {"not_any_": []}}})
    all4("deployments.id.any_ dash-less", {D: {"id": {"any_": [d_ids[1].replace("-", "")]}}})
    for label, like in [("plain", "deploy"), ("upper-case", "DEPLOY"), ("underscore", "_"), ("percent", "%"),
                        ("empty", ""), ("underscore wildcard", "a_b")]:
        all4(f"deployments.name.like_ {label}", {D: {"name": {"like_": like}}})
    all4("deployments.name.any_", {D: {"name": {"any_": ["hourly", "Paused_Deploy"]}}})
    all4("deployments.name.any_ []", {D: {"name": {"any_": []}}})
    for label, like in [("deployment name", "hourly"), ("flow name", "NIGHTLY"), ("both", "a_b"), ("empty", ""),
                        ("no match", "zzz")]:
        all4(f"deployments.flow_or_deployment_name.like_ {label}",
             {D: {"flow_or_deployment_name": {"like_": like}}})
    all4("deployments.paused.eq_ true", {D: {"paused": {"eq_": True}}})
    all4("deployments.paused.eq_ false", {D: {"paused": {"eq_": False}}})
    all4("deployments.paused.eq_ 'yes'", {D: {"paused": {"eq_": "yes"}}})
    all4("deployments.paused.eq_ '0'", {D: {"paused": {"eq_": "0"}}})
    all4("deployments.paused.eq_ 'nope'", {D: {"paused": {"eq_": "nope"}}})
    all4("deployments.paused.eq_ null", {D: {"paused": {"eq_": None}}})
    all4("deployments.tags.all_", {D: {"tags": {"all_": ["prod"]}}})
    all4("deployments.tags.all_ two", {D: {"tags": {"all_": ["prod", "shared"]}}})
    all4("deployments.tags.all_ []", {D: {"tags": {"all_": []}}})
    all4("deployments.tags.any_", {D: {"tags": {"any_": ["shared", "x_y"]}}})
    all4("deployments.tags.any_ []", {D: {"tags": {"any_": []}}})
    all4("deployments.tags.is_null_ true", {D: {"tags": {"is_null_": True}}})
    all4("deployments.tags.is_null_ false", {D: {"tags": {"is_null_": False}}})
    all4("deployments.tags operator or_", {D: {"tags": {"operator": "or_", "any_": ["x_y"], "is_null_": True}}})
    all4("deployments.work_queue_name.any_", {D: {"work_queue_name": {"any_": ["critical"]}}})
    all4("deployments.work_queue_name.any_ []", {D: {"work_queue_name": {"any_": []}}})
    all4("deployments.work_queue_name.any_ several", {D: {"work_queue_name": {"any_": ["default", "x"]}}})
    all4("deployments.work_queue_name.is_null_ is unknown", {D: {"work_queue_name": {"is_null_": True}}})
    all4("deployments.concurrency_limit.ge_", {D: {"concurrency_limit": {"ge_": 2}}})
    all4("deployments.concurrency_limit.le_", {D: {"concurrency_limit": {"le_": 2}}})
    all4("deployments.concurrency_limit.is_null_ true", {D: {"concurrency_limit": {"is_null_": True}}})
    all4("deployments.concurrency_limit.ge_ '3'", {D: {"concurrency_limit": {"ge_": "3"}}})
    all4("deployments.concurrency_limit.ge_ 2.5", {D: {"concurrency_limit": {"ge_": 2.5}}})
    all4("deployments.concurrency_limit.le_ 'x'", {D: {"concurrency_limit": {"le_": "x"}}})
    all4("deployments.operator or_", {D: {"operator": "or_", "paused": {"eq_": True}, "name": {"like_": "hour"}}})
    all4("deployments.operator or_ with empty sub-filters", {D: {"operator": "or_", "paused": {}, "tags": {}}})
    all4("deployments.operator or_ alone", {D: {"operator": "or_"}})

    # operator null (Optional is not declared: null is an enum error) at each level
    all4("flow_runs.operator null", {"flow_runs": {"operator": None}})
    all4("flow_runs.tags.operator null", {"flow_runs": {"tags": {"operator": None, "all_": ["a"]}}})
    all4("task_runs.state.operator null", {"task_runs": {"state": {"operator": None}}})
    all4("flows.operator null", {"flows": {"operator": None}})
    all4("deployments.tags.operator null", {"deployments": {"tags": {"operator": None}}})
    all4("flow_runs.tags.all_ null", {"flow_runs": {"tags": {"all_": None}}})

    # ------------------------------------------------------------------
    # families combined
    all4("artifacts + flow_runs", {"artifacts": {"type": {"any_": ["markdown"]}},
                                   "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}})
    all4("flow_runs + flows", {"flow_runs": {"tags": {"all_": ["a"]}}, "flows": {"name": {"like_": "report"}}})
    all4("flows + deployments", {"flows": {"tags": {"all_": ["shared"]}}, "deployments": {"paused": {"eq_": False}}})
    all4("task_runs + flow_runs", {"task_runs": {"tags": {"all_": ["etl"]}}, "flow_runs": {"tags": {"all_": ["a"]}}})
    all4("all five families", {
        "artifacts": {"key": {"exists_": True}}, "flow_runs": {"state": {"type": {"not_any_": ["PENDING"]}}},
        "task_runs": {"name": {"like_": "a"}}, "flows": {"tags": {"is_null_": False}},
        "deployments": {"paused": {"eq_": False}}})
    all4("errors in every family at once", {
        "artifacts": {"bogus": 1}, "flow_runs": {"id": {"any_": ["x"]}}, "task_runs": {"state": {"type": {
            "any_": ["X"]}}}, "flows": {"tags": {"is_null_": "perhaps"}}, "deployments": {"paused": []}})

    # ------------------------------------------------------------------
    # sort, limit and offset (the list endpoints)
    for ep, path in [("filter", FILTER), ("latest", LATEST)]:
        for s in SORTS:
            add(f"{ep}: sort {s}", path, {"sort": s})
            add(f"{ep}: sort {s} limit 3", path, {"sort": s, "limit": 3})
            add(f"{ep}: sort {s} limit 4 offset 3", path, {"sort": s, "limit": 4, "offset": 3})
            add(f"{ep}: sort {s} offset 10", path, {"sort": s, "offset": 10})
            add(f"{ep}: sort {s} with a filter", path, {"sort": s, "artifacts": {"type": {"any_": ["table",
                                                                                                 "markdown"]}}})
        for label, v in [("lower-case", "id_desc"), ("unknown", "NAME_ASC"), ("number", 1), ("list", ["ID_DESC"]),
                         ("null", None), ("empty", ""), ("padded", " ID_DESC")]:
            add(f"{ep}: sort {label}", path, {"sort": v})
        for label, v in [("0", 0), ("1", 1), ("200", 200), ("201", 201), ("-1", -1), ("'5'", "5"), ("5.0", 5.0),
                         ("5.5", 5.5), ("true", True), ("false", False), ("null", None), ("huge", 10 ** 30),
                         ("2**63", 2 ** 63), ("'abc'", "abc"), ("[]", []), ("' 5 '", " 5 "), ("'5.0'", "5.0"),
                         ("1e2", 1e2), ("-0", -0.0), ("{}", {})]:
            add(f"{ep}: limit {label}", path, {"limit": v})
        for label, v in [("0", 0), ("3", 3), ("-1", -1), ("'2'", "2"), ("2.0", 2.0), ("2.5", 2.5),
                         ("true", True), ("null", None), ("past the end", 1000), ("huge", 10 ** 30),
                         ("2**63", 2 ** 63), ("'x'", "x")]:
            add(f"{ep}: offset {label}", path, {"offset": v})
        add(f"{ep}: limit 201 and invalid sort", path, {"limit": 201, "sort": "NOPE"})
        add(f"{ep}: limit 'x' and invalid sort and offset -1", path, {"limit": "x", "sort": "NOPE", "offset": -1})
        add(f"{ep}: invalid sort and offset and filter", path,
            {"sort": "NOPE", "offset": "y", "artifacts": {"key": {"exists_": "z"}}})
        add(f"{ep}: limit -1 and invalid filter", path, {"limit": -1, "artifacts": {"bogus": True}})
        add(f"{ep}: limit 0 offset 0", path, {"limit": 0, "offset": 0})
        add(f"{ep}: limit 2 offset 2 key sort with filter", path,
            {"sort": "KEY_ASC", "limit": 2, "offset": 2, "artifacts": {"key": {"exists_": True}}})
    for ep, path in [("count", COUNT), ("latest-count", LATEST_COUNT)]:
        add(f"{ep}: limit/offset/sort are ignored", path, {"limit": 1, "offset": 5, "sort": "KEY_ASC"})
        add(f"{ep}: invalid limit is ignored", path, {"limit": 500, "offset": -1, "sort": "NOPE"})

    # ------------------------------------------------------------------
    # bodies that are not objects, malformed JSON
    for label, raw in [("array", "[]"), ("array of object", "[{}]"), ("string", '"x"'), ("number", "5"),
                       ("true", "true"), ("malformed", "{"), ("single quotes", "{'limit': 1}"),
                       ("trailing comma", '{"limit": 1,}'), ("two objects", "{}{}"), ("garbage", "not json"),
                       ("whitespace only", "   "), ("NaN limit", '{"limit": NaN}'),
                       ("Infinity offset", '{"offset": Infinity}'), ("duplicate keys", '{"limit": 1, "limit": 2}'),
                       ("nested depth", '{"artifacts": {"key": {"any_": [[["x"]]]}}}'),
                       ("unicode escape", '{"artifacts": {"key": {"any_": ["\\u0073ales-report"]}}}'),
                       ("BOM", "\ufeff{}"), ("comment", '{"limit": 1 /* c */}'),
                       ("unterminated string", '{"artifacts": {"key": {"like_": "abc}}}')]:
        all4(f"raw body {label}", raw)

    # unknown fields at every depth
    for label, body in [
        ("flow_runs", {"flow_runs": {"nope": 1}}),
        ("flow_runs.state", {"flow_runs": {"state": {"nope": 1}}}),
        ("flow_runs.state.type", {"flow_runs": {"state": {"type": {"all_": ["RUNNING"]}}}}),
        ("flow_runs.tags", {"flow_runs": {"tags": {"like_": "a"}}}),
        ("flow_runs.start_time", {"flow_runs": {"start_time": {"on_": "2030-01-01"}}}),
        ("task_runs", {"task_runs": {"flow_run": {}}}),
        ("task_runs.subflow_runs", {"task_runs": {"subflow_runs": {"is_null_": True}}}),
        ("flows", {"flows": {"version": {}}}),
        ("flows.name", {"flows": {"name": {"not_any_": ["x"]}}}),
        ("deployments", {"deployments": {"schedules": {}}}),
        ("deployments.paused", {"deployments": {"paused": {"is_": True}}}),
        ("several at once", {"flows": {"a": 1, "b": 2}, "deployments": {"c": 3}}),
        ("with valid fields around", {"flow_runs": {"name": {"like_": "a", "Like_": "b"}, "tags": {"all_": ["a"]}}}),
    ]:
        all4(f"unknown field in {label}", body)
    # wrong types
    for label, body in [
        ("flow_runs is a list", {"flow_runs": []}),
        ("flow_runs is a number", {"flow_runs": 3}),
        ("flow_runs.name is a string", {"flow_runs": {"name": "x"}}),
        ("flow_runs.tags.all_ is a number", {"flow_runs": {"tags": {"all_": 3}}}),
        ("flow_runs.tags.all_ has a number", {"flow_runs": {"tags": {"all_": ["a", 3]}}}),
        ("flow_runs.tags.is_null_ list", {"flow_runs": {"tags": {"is_null_": [True]}}}),
        ("task_runs.name.like_ list", {"task_runs": {"name": {"like_": ["a"]}}}),
        ("flows.name.any_ dict", {"flows": {"name": {"any_": {"a": 1}}}}),
        ("deployments.concurrency_limit.ge_ list", {"deployments": {"concurrency_limit": {"ge_": [1]}}}),
        ("deployments.name.like_ bool", {"deployments": {"name": {"like_": True}}}),
        ("task_runs is a string", {"task_runs": "x"}),
        ("flows is true", {"flows": True}),
        ("deployments is 0", {"deployments": 0}),
    ]:
        all4(f"wrong type: {label}", body)
    return out


# ----------------------------------------------------------------------
# coverage: every field of every family appears in some case


def _paths(obj, prefix, acc):
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            acc.add(p)
            _paths(v, p, acc)


def report_coverage(generated) -> None:
    try:
        from prefect.server.schemas import filters as f
    except Exception:  # prefect not importable: nothing to check against
        return
    import typing

    want: set[str] = set()

    def walk(m, pre):
        for n, fi in m.model_fields.items():
            args = [a for a in typing.get_args(fi.annotation) if a is not type(None)]
            sub = args[0] if args else fi.annotation
            want.add(pre + "." + n)
            if isinstance(sub, type) and issubclass(sub, f.PrefectFilterBaseModel):
                walk(sub, pre + "." + n)

    fams = [("artifacts", f.ArtifactFilter, "filter"), ("artifacts", f.ArtifactCollectionFilter, "latest"),
            ("flow_runs", f.FlowRunFilter, None), ("task_runs", f.TaskRunFilter, None), ("flows", f.FlowFilter, None),
            ("deployments", f.DeploymentFilter, None)]
    missing = []
    for fam, model, ep in fams:
        want.clear()
        walk(model, fam)
        have: set[str] = set()
        for name, _path, body in generated:
            if ep and not (name.startswith(ep + ":") or name.startswith(ep + "-count:")):
                continue
            try:
                _paths(json.loads(body), "", have)
            except ValueError:
                pass
        missing += sorted(want - have)
    if missing:
        print("coverage: fields without a case: " + ", ".join(missing), file=sys.stderr)
    else:
        print("coverage: every filter field has cases", file=sys.stderr)
