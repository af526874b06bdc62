"""Seed a live Prefect 3 server, through its REST API, with the conformance
dataset: flows, deployments, flow runs in every state type, task runs and
artifacts that between them give every artifact-endpoint filter field
something to match and something to miss.

Standard library only.  Every object is identified later (when cases are
generated from the snapshot) by a stable label: flows and deployments by
name, flow and task runs by name, artifacts by their `description`.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

AUTOMATION_ID = "5e1f1d2e-3c4b-4a59-8d6e-7f8091a2b3c4"
AUTOMATION_NAME = "Nightly Automation"


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body=None, headers=None, ok=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
        if status not in ok:
            raise SystemExit(f"seed: {method} {path} {json.dumps(body)} -> HTTP {status}: {text}")
        return json.loads(text) if text else None


def _state(type_: str, name: str | None = None, scheduled_time: str | None = None) -> dict:
    s: dict = {"type": type_}
    if name:
        s["name"] = name
    if scheduled_time:
        s["state_details"] = {"scheduled_time": scheduled_time}
    return s


def seed(base: str) -> None:
    api = Api(base)

    # ---- flows: mixed case, `_` (Prefect bans `%` in flow names), shared,
    # empty and distinct tags; some with deployments, some without.
    flows = {}
    for name, tags in [
        ("ETL_Nightly", ["nightly", "shared"]),
        ("etl-hourly", ["shared"]),
        ("Report_Builder", []),
        ("MiXeD_Case_Flow", ["solo"]),
        ("aXb", ["x_y"]),
        ("a_b", ["x_y", "shared"]),
        ("unused-flow", ["shared", "nightly"]),
    ]:
        flows[name] = api.call("POST", "/flows/", {"name": name, "tags": tags})["id"]

    # ---- deployments: paused or not, tags, work queues, concurrency limits.
    deps = {}
    for name, flow, extra in [
        ("nightly-deploy", "ETL_Nightly", {"paused": False, "tags": ["prod", "shared"], "work_queue_name": "default"}),
        ("Paused_Deploy", "ETL_Nightly", {"paused": True, "tags": [], "work_queue_name": "critical", "concurrency_limit": 3}),
        ("hourly", "etl-hourly", {
            "paused": False, "tags": ["prod"], "work_queue_name": "critical", "concurrency_limit": 1,
            "schedules": [{"schedule": {"interval": 86400, "anchor_date": "2032-01-01T00:00:00Z"}, "active": True}],
        }),
        ("a_b-deploy", "a_b", {"paused": False, "tags": ["x_y"]}),
        ("unused_dep", "unused-flow", {"paused": True, "tags": ["shared"], "concurrency_limit": 10}),
    ]:
        body = {"name": name, "flow_id": flows[flow], **extra}
        deps[name] = api.call("POST", "/deployments/", body)["id"]

    automation = {
        "Prefect-Automation-Id": AUTOMATION_ID,
        "Prefect-Automation-Name": base64.b64encode(AUTOMATION_NAME.encode()).decode(),
    }

    runs: dict[str, str] = {}

    def flow_run(name, flow, path, *, deployment=None, tags=(), idem=None, wq=None, version=None,
                 parent_task=None, headers=None, first=None):
        body: dict = {"name": name, "flow_id": flows[flow], "tags": list(tags)}
        if deployment:
            body["deployment_id"] = deps[deployment]
        if idem is not None:
            body["idempotency_key"] = idem
        if wq is not None:
            body["work_queue_name"] = wq
        if version is not None:
            body["flow_version"] = version
        if parent_task is not None:
            body["parent_task_run_id"] = parent_task
        body["state"] = first or _state("PENDING")
        rid = api.call("POST", "/flow_runs/", body, headers=headers)["id"]
        for st in path:
            time.sleep(0.02)
            api.call("POST", f"/flow_runs/{rid}/set_state", {"state": st, "force": True})
        runs[name] = rid
        return rid

    S = _state
    flow_run("Nightly_Run-001", "ETL_Nightly", [], deployment="nightly-deploy", tags=["nightly"],
             idem="idem-1", wq="default", version="1.0",
             first=S("SCHEDULED", "Scheduled", "2031-03-01T12:00:00Z"))
    flow_run("late run", "ETL_Nightly", [], deployment="nightly-deploy", tags=["nightly", "late"],
             idem="idem-2", wq="default", version="1.0",
             first=S("SCHEDULED", "Late", "2020-01-01T00:00:00Z"))
    flow_run("retry_RUN", "etl-hourly", [], deployment="hourly", tags=[], wq="critical", version="2.0",
             first=S("SCHEDULED", "AwaitingRetry", "2030-06-15T08:30:00+02:00"), headers=automation)
    flow_run("pending-run", "ETL_Nightly", [], deployment="Paused_Deploy", tags=[], version="1.0")
    flow_run("run 100% done", "Report_Builder", [S("RUNNING"), S("COMPLETED")], tags=["a", "b"],
             idem="idem-3", version="2.0")
    flow_run("MIXED_case_Run", "MiXeD_Case_Flow", [S("RUNNING")], tags=["a"], headers=automation)
    flow_run("direct-complete", "Report_Builder", [S("COMPLETED")], tags=["b"], version="")
    flow_run("failing_run", "etl-hourly", [S("RUNNING"), S("FAILED")], deployment="hourly",
             tags=["a", "shared"], wq="critical", version="2.0")
    flow_run("cancelled-run", "ETL_Nightly", [S("CANCELLED")], deployment="nightly-deploy", tags=["x_y"],
             first=S("SCHEDULED", "Scheduled", "2029-12-31T23:59:59Z"), idem="idem-4")
    flow_run("crashed run", "aXb", [S("RUNNING"), S("CRASHED")], tags=["shared"])
    flow_run("paused_run", "a_b", [S("RUNNING"), S("PAUSED", "Suspended")], deployment="a_b-deploy",
             tags=["x_y", "a"])
    flow_run("Cancelling-Run", "MiXeD_Case_Flow", [S("RUNNING"), S("CANCELLING")], tags=[])
    flow_run("retried-ok", "etl-hourly", [S("RUNNING"), S("SCHEDULED", "AwaitingRetry", "2030-01-01T00:00:00Z"),
                                          S("RUNNING", "Retrying"), S("COMPLETED", "Cached")],
             deployment="hourly", tags=["a", "b", "c"], version="3.0")

    # runs the scheduler would make: created_by type SCHEDULE
    api.call("POST", f"/deployments/{deps['hourly']}/schedule",
             {"start_time": "2032-01-01T00:00:00Z", "end_time": "2032-01-03T00:00:00Z", "max_runs": 2})

    # ---- task runs: tags, states, times; with and without a flow run.
    tasks: dict[str, str] = {}

    def task_run(name, flow_run_name, path, tags=(), first=None):
        body: dict = {"name": name, "task_key": name.lower(), "dynamic_key": "0", "tags": list(tags),
                      "state": first or _state("PENDING")}
        if flow_run_name is not None:
            body["flow_run_id"] = runs[flow_run_name]
        tid = api.call("POST", "/task_runs/", body)["id"]
        for st in path:
            time.sleep(0.02)
            api.call("POST", f"/task_runs/{tid}/set_state", {"state": st, "force": True})
        tasks[name] = tid
        return tid

    task_run("Extract_Data", "MIXED_case_Run", [S("RUNNING"), S("COMPLETED")], tags=["etl", "shared"])
    task_run("load 50% rows", "MIXED_case_Run", [S("RUNNING"), S("FAILED")], tags=[])
    task_run("transform", "run 100% done", [S("RUNNING")], tags=["etl"])
    task_run("subflow-caller", "MIXED_case_Run", [S("RUNNING")], tags=["parent"])
    task_run("orphan_task", None, [], tags=["orphan"])
    task_run("retry-me", "failing_run", [], tags=["etl", "retry"],
             first=S("SCHEDULED", "AwaitingRetry", "2030-05-05T05:05:05Z"))
    task_run("Crash_Task", "crashed run", [S("RUNNING"), S("CRASHED")], tags=["shared"])
    task_run("cancelled_task", "cancelled-run", [S("CANCELLED")], tags=[])
    task_run("paused-task", "paused_run", [S("RUNNING"), S("PAUSED")], tags=["x_y"])
    task_run("Cancelling_Task", "Cancelling-Run", [S("RUNNING"), S("CANCELLING")], tags=["shared", "etl"])
    task_run("pending-parent", "pending-run", [], tags=[])

    # subflow runs: Prefect copies a subflow's state onto its parent task run
    # (`subflow-caller` ends COMPLETED, `pending-parent` PENDING)
    flow_run("sub_flow_run", "aXb", [S("RUNNING"), S("COMPLETED")], tags=["sub"],
             parent_task=tasks["subflow-caller"], version="1.0")
    flow_run("sub-pending", "Report_Builder", [], tags=[], parent_task=tasks["pending-parent"])

    # ---- artifacts
    arts: dict[str, str] = {}

    def artifact(label, key, type_, data, fr=None, tr=None, metadata=None, description=True):
        body: dict = {"data": data}
        if key is not None:
            body["key"] = key
        if type_ is not None:
            body["type"] = type_
        if description:
            body["description"] = label
        if metadata is not None:
            body["metadata_"] = metadata
        if fr is not None:
            body["flow_run_id"] = runs[fr]
        if tr is not None:
            body["task_run_id"] = tasks[tr]
        arts[label] = api.call("POST", "/artifacts/", body)["id"]
        time.sleep(0.005)

    artifact("sales v1", "sales-report", "markdown", "# sales 1", fr="run 100% done")
    artifact("sales v2", "sales-report", "markdown", "# sales 2", fr="run 100% done", tr="transform",
             metadata={"rows": "10", "owner": "ops"})
    artifact("metrics v1", "metrics", "table", [{"a": 1, "b": 2}], fr="MIXED_case_Run", tr="Extract_Data")
    artifact("sales v3", "sales-report", "markdown", "# sales 3", fr="failing_run")
    artifact("link", "link-out", "link", "https://example.com/a_b%20c")
    artifact("metrics v2", "metrics", "table", {"rows": [[1, 2]], "headers": ["x", "y"]},
             fr="MIXED_case_Run", tr="load 50% rows")
    artifact("progress v1", "progress-bar", "progress", 10.5, fr="failing_run")
    artifact("keyless md", None, "markdown", "no key here", fr="MIXED_case_Run")
    artifact("image", "image-1", "image", "https://example.com/img.png", fr="sub_flow_run")
    artifact("progress v2", "progress-bar", "progress", 99, fr="failing_run", tr="retry-me")
    artifact("untyped", "untyped", None, {"free": "form"}, fr="crashed run", tr="Crash_Task")
    artifact("result", "result-1", "result", {"value": 42}, fr="retried-ok")
    artifact("custom", "custom-key", "my-custom-type", "custom data", tr="orphan_task")
    artifact("orphan", "orphan-art", "markdown", "no runs at all", metadata={"k": "v"})
    artifact("keyless table", None, "table", [[1, 2], [3, 4]], tr="orphan_task")
    artifact("keyless untyped", None, None, None)
    artifact("keyless doomed", None, "markdown", "deleted again")
    artifact("keyless link", None, "link", "https://example.com", fr="paused_run", tr="paused-task")
    artifact("metrics v3", "metrics", "table", [], fr="sub_flow_run")
    artifact("gone v1", "gone-key", "markdown", "will be deleted", fr="pending-run")
    artifact("gone v2", "gone-key", "markdown", "also deleted", fr="pending-run")
    artifact("sales v4", "sales-report", "markdown", "# sales 4 (deleted)", fr="Cancelling-Run")
    artifact("cancelled art", "cancelled-art", "markdown", "from a cancelled run", fr="cancelled-run",
             tr="cancelled_task")
    artifact("late art", "late-art", "link", "https://late.example.com", fr="late run")
    artifact("sched art", "a-b-c", "markdown", "a_b %", fr="Nightly_Run-001")
    artifact("retry art", "retry-art", "markdown", "", fr="retry_RUN", description=False)
    artifact("UPPER art", "metrics", "table", "[]", fr="direct-complete",
             metadata={"Case": "UPPER"})

    # PATCHed versions (the collection follows when the latest is patched)
    api.call("PATCH", f"/artifacts/{arts['sales v3']}",
             {"data": "# sales 3 (patched)", "description": "sales v3 patched", "metadata_": {"patched": "yes"}})
    api.call("PATCH", f"/artifacts/{arts['UPPER art']}", {"description": "UPPER art patched"})
    api.call("PATCH", f"/artifacts/{arts['keyless md']}", {"data": "no key (patched)"})
    # deleted latest versions: the collection moves back to the previous one
    api.call("DELETE", f"/artifacts/{arts['sales v4']}")
    api.call("DELETE", f"/artifacts/{arts['gone v2']}")
    api.call("DELETE", f"/artifacts/{arts['gone v1']}")  # the key disappears
    api.call("DELETE", f"/artifacts/{arts['keyless doomed']}")
