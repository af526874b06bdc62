#!/usr/bin/env python3
"""Writes tests/data/scenarios/ui_runs.steps.json: the run-related requests
Prefect's UI makes (paginate, history, /ui/* counts, lateness, logs paging
and download), over flows, deployments, flow runs in several states and
times, task runs (one standing for a subflow run) and logs, with bad inputs.
Record the answers with `scripts/record-scenarios API_URL ui_runs` against a
fresh reference; tests/api/scenarios.rs replays them."""
import json
import pathlib
steps = []
def step(method, path, body=None, save=None):
    s = {"method": method, "path": path, "body": None if body is None else (body if isinstance(body, str) else json.dumps(body))}
    if save: s["save"] = save
    steps.append(s)

def sched(t, name=None):
    st = {"type": "SCHEDULED", "state_details": {"scheduled_time": t}}
    if name: st["name"] = name
    return st

# flows and deployments
step("POST", "/flows/", {"name": "etl", "tags": ["prod"]}, "f1")
step("POST", "/flows/", {"name": "report"}, "f2")
step("POST", "/flows/", {"name": "zeta"}, "f3")
step("POST", "/deployments/", {"name": "d1", "flow_id": "{f1}"}, "d1")
step("POST", "/deployments/", {"name": "d2", "flow_id": "{f1}", "tags": ["nightly"]}, "d2")
step("POST", "/deployments/", {"name": "d3", "flow_id": "{f2}"}, "d3")
# flow runs
step("POST", "/flow_runs/", {"flow_id": "{f1}", "deployment_id": "{d1}", "name": "r1", "state": sched("2024-01-01T00:10:00Z")}, "r1")
step("POST", "/flow_runs/", {"flow_id": "{f1}", "name": "r2", "tags": ["x"], "state": sched("2024-01-01T00:20:00Z")}, "r2")
step("POST", "/flow_runs/", {"flow_id": "{f1}", "name": "r3", "state": sched("2024-01-01T00:25:00Z")}, "r3")
step("POST", "/flow_runs/", {"flow_id": "{f2}", "deployment_id": "{d3}", "name": "r4", "state": sched("2024-01-01T01:05:00Z")}, "r4")
step("POST", "/flow_runs/", {"flow_id": "{f2}", "name": "r5", "state": sched("2030-01-01T00:00:00Z")}, "r5")
step("POST", "/flow_runs/", {"flow_id": "{f2}", "name": "r6", "state": sched("2030-02-01T00:00:00Z")}, "r6")
step("POST", "/flow_runs/", {"flow_id": "{f3}", "name": "r8", "state": sched("2024-01-01T00:12:00Z", "Late")}, "r8")
for r, final in [("r2", "COMPLETED"), ("r3", "FAILED")]:
    step("POST", "/flow_runs/{%s}/set_state" % r, {"state": {"type": "RUNNING"}})
    step("POST", "/flow_runs/{%s}/set_state" % r, {"state": {"type": final}})
# task runs
def task(fr, key, save, state):
    tid = "00000000-0000-4000-8000-%012d" % (len(steps))
    step("POST", "/task_runs/", {"id": tid, "flow_run_id": "{%s}" % fr, "task_key": key, "dynamic_key": "0", "name": key + "-0", "state": state}, save)
task("r2", "a", "t1", sched("2024-01-01T00:21:00Z"))
task("r2", "b", "t2", sched("2024-01-01T00:22:00Z"))
task("r3", "c", "t3", sched("2024-01-01T00:26:00Z"))
task("r3", "d", "t4", {"type": "PENDING"})
task("r2", "sub", "t5", sched("2024-01-01T00:23:00Z"))
for t, final in [("t1", "COMPLETED"), ("t2", "FAILED"), ("t3", "COMPLETED")]:
    step("POST", "/task_runs/{%s}/set_state" % t, {"state": {"type": "RUNNING"}})
    step("POST", "/task_runs/{%s}/set_state" % t, {"state": {"type": final}})
step("POST", "/flow_runs/", {"flow_id": "{f3}", "name": "r9", "parent_task_run_id": "{t5}", "state": sched("2024-01-01T00:24:00Z")}, "r9")
# logs
logs = []
for i in range(7):
    logs.append({"name": "prefect.flow_runs", "level": [10, 20, 30, 40][i % 4], "message": f"line {i}" if i != 4 else 'has, comma "q"\nnewline',
                 "timestamp": f"2024-01-01T00:20:{i:02d}" + (".123456Z" if i == 5 else "Z"), "flow_run_id": "{r2}", "task_run_id": "{t1}" if i % 3 == 0 else None})
step("POST", "/logs/", logs)

# ---- paginate
for res in ["flows", "flow_runs", "task_runs", "deployments"]:
    # Flow run ids are random on both servers, so their default order (ID_DESC) is too.
    srt = {"sort": "NAME_ASC"} if res == "flow_runs" else {}
    step("POST", f"/{res}/paginate", None if not srt else srt)
    step("POST", f"/{res}/paginate", {**srt})
    step("POST", f"/{res}/paginate", {"page": 2, "limit": 2, **srt})
    step("POST", f"/{res}/paginate", {"page": 99, "limit": 2})
    step("POST", f"/{res}/paginate", {"page": 1, "limit": 0})
    step("POST", f"/{res}/paginate", {"page": 0})
    step("POST", f"/{res}/paginate", {"page": -1, "limit": 5})
    step("POST", f"/{res}/paginate", {"page": "x", "sort": "NOPE"})
    step("POST", f"/{res}/paginate", {"limit": 201})
    step("POST", f"/{res}/paginate", {"limit": -1})
    step("POST", f"/{res}/paginate", [1])
    step("POST", f"/{res}/paginate", {"page": 1.5})
    step("POST", f"/{res}/paginate", {"page": "2", "limit": "1", **srt})
step("POST", "/flow_runs/paginate", {"flows": {"name": {"any_": ["etl"]}}, "sort": "NAME_ASC", "limit": 2})
step("POST", "/flow_runs/paginate", {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "sort": "EXPECTED_START_TIME_ASC", "page": 2, "limit": 3})
step("POST", "/flow_runs/paginate", {"work_pools": {"name": {"any_": ["p"]}}})
step("POST", "/task_runs/paginate", {"flow_runs": {"name": {"any_": ["r2"]}}, "sort": "NAME_DESC"})
step("POST", "/flows/paginate", {"deployments": {"name": {"any_": ["d3"]}}})
step("POST", "/flows/paginate", {"sort": "NAME_DESC", "limit": 1, "page": 3})
step("POST", "/deployments/paginate", {"flows": {"name": {"any_": ["etl"]}}, "sort": "NAME_DESC"})
step("POST", "/deployments/paginate", {"deployments": {"tags": {"all_": ["nightly"]}}})

# ---- history
H = {"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-01T02:00:00Z", "history_interval_seconds": 1800}
for res in ["flow_runs", "task_runs"]:
    step("POST", f"/{res}/history", H)
    step("POST", f"/{res}/history", {**H, "history_interval_seconds": 700})
    step("POST", f"/{res}/history", {**H, "history_end": "2024-01-01T00:00:00Z"})
    step("POST", f"/{res}/history", {**H, "history_end": "2023-01-01T00:00:00Z"})
    step("POST", f"/{res}/history", {**H, "history_interval_seconds": 0.5})
    step("POST", f"/{res}/history", {**H, "history_interval_seconds": 1})
    step("POST", f"/{res}/history", {**H, "history_interval_seconds": "abc"})
    step("POST", f"/{res}/history", {"history_start": "yesterday"})
    step("POST", f"/{res}/history", None)
    step("POST", f"/{res}/history", [1])
    step("POST", f"/{res}/history", {**H, "history_start": "2024-01-01T00:00:00+01:00", "history_end": "2024-01-01T01:30:00+01:00", "history_interval_seconds": 900.5})
    step("POST", f"/{res}/history", {**H, "flows": {"name": {"any_": ["etl"]}}})
    step("POST", f"/{res}/history", {**H, "flow_runs": {"name": {"any_": ["nope"]}}})
    step("POST", f"/{res}/history", {**H, "flows": {"name": {"any_": 5}}})
step("POST", "/flow_runs/history", {**H, "history_interval_seconds": 10})
step("POST", "/flow_runs/history", {**H, "work_queues": {"name": {"any_": ["q"]}}})
step("POST", "/flow_runs/history", {**H, "deployments": {"id": {"any_": ["{d1}"]}}})
step("POST", "/flow_runs/history", {"history_start": "2024-01-01T00:20:00Z", "history_end": "2024-01-01T00:20:01Z", "history_interval_seconds": 1})

# ---- ui endpoints
step("POST", "/ui/flow_runs/history", None)
step("POST", "/ui/flow_runs/history", {"sort": "EXPECTED_START_TIME_ASC", "limit": 3, "offset": 1})
step("POST", "/ui/flow_runs/history", {"flows": {"name": {"any_": ["report"]}}})
step("POST", "/ui/flow_runs/history", {"limit": 1001})
step("POST", "/ui/flow_runs/history", {"limit": -1, "sort": "NAME_ASC"})
step("POST", "/ui/flow_runs/history", {"offset": -1, "sort": "BAD"})
step("POST", "/ui/flow_runs/count-task-runs", {"flow_run_ids": ["{r2}", "{r3}", "{r1}", "{r2}"]})
step("POST", "/ui/flow_runs/count-task-runs", {"flow_run_ids": []})
step("POST", "/ui/flow_runs/count-task-runs", {})
step("POST", "/ui/flow_runs/count-task-runs", None)
step("POST", "/ui/flow_runs/count-task-runs", {"flow_run_ids": ["x", 1]})
step("POST", "/ui/flow_runs/count-task-runs", {"flow_run_ids": "abc"})
step("POST", "/ui/flow_runs/count-task-runs", {"flow_run_ids": ["00000000-0000-0000-0000-%012d" % i for i in range(201)]})
step("POST", "/ui/task_runs/count", None)
step("POST", "/ui/task_runs/count", {"flow_runs": {"name": {"any_": ["r3"]}}})
step("POST", "/ui/task_runs/count", {"task_runs": {"state": {"type": {"any_": ["NOPE"]}}}})
D = {"task_runs": {"start_time": {"after_": "2020-01-01T00:00:00Z", "before_": "2100-01-01T00:00:00Z"}}}
step("POST", "/ui/task_runs/dashboard/counts", D)
step("POST", "/ui/task_runs/dashboard/counts", {"task_runs": {"start_time": {"after_": "2020-01-01T00:00:00Z"}}})
step("POST", "/ui/task_runs/dashboard/counts", {"task_runs": {"start_time": {"after_": "2020-01-01T00:00:00Z", "before_": "2100-01-01T00:00:00Z"}, "state": {"type": {"any_": ["RUNNING"]}}}})
step("POST", "/ui/task_runs/dashboard/counts", {**D, "flows": {"name": {"any_": ["nope"]}}})
step("POST", "/ui/task_runs/dashboard/counts", {"task_runs": {}})
step("POST", "/ui/task_runs/dashboard/counts", {})
step("POST", "/ui/task_runs/dashboard/counts", None)
step("POST", "/ui/task_runs/dashboard/counts", {"task_runs": {"start_time": {"after_": "bad"}}})
step("GET", "/ui/task_runs/{t1}")
step("GET", "/ui/task_runs/00000000-0000-0000-0000-000000000000")
step("POST", "/ui/flows/count-deployments", {"flow_ids": ["{f1}", "{f2}", "{f3}"]})
step("POST", "/ui/flows/count-deployments", {"flow_ids": None})
step("POST", "/ui/flows/next-runs", {"flow_ids": ["{f1}", "{f2}", "{f3}"]})
step("POST", "/ui/flows/next-runs", {"flow_ids": ["bad"]})

# ---- logs paging (the run page's Logs tab)
LF = {"logs": {"flow_run_id": {"any_": ["{r2}"]}, "level": {"ge_": 0}}}
step("POST", "/logs/filter", {**LF, "sort": "TIMESTAMP_ASC", "limit": 3, "offset": 0})
step("POST", "/logs/filter", {**LF, "sort": "TIMESTAMP_ASC", "limit": 3, "offset": 3})
step("POST", "/logs/filter", {**LF, "sort": "TIMESTAMP_ASC", "limit": 3, "offset": 6})
step("POST", "/logs/filter", {**LF, "sort": "TIMESTAMP_DESC", "limit": 2, "offset": 1})
step("POST", "/logs/filter", {"logs": {"task_run_id": {"any_": ["{t1}"]}}, "sort": "TIMESTAMP_DESC"})
step("POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": ["{r2}"]}, "task_run_id": {"is_null_": True}, "level": {"ge_": 30}}})
step("POST", "/logs/filter", {"logs": {"timestamp": {"after_": "2024-01-01T00:20:03Z", "before_": "2024-01-01T00:20:05Z"}}})
step("POST", "/logs/filter", {"offset": 100})
step("POST", "/logs/filter", {"limit": 201})
step("POST", "/logs/filter", {"sort": "LEVEL"})
# ---- lateness (deterministic only where no run has started or is overdue)
step("POST", "/flow_runs/lateness", {"flow_runs": {"name": {"any_": ["r5", "r6"]}}})
step("POST", "/flow_runs/lateness", {"flow_runs": {"name": {"any_": ["nope"]}}})
step("POST", "/flow_runs/lateness", {"flow_runs": {"name": {"any_": 1}}})
step("POST", "/flow_runs/lateness", [1])
step("POST", "/flow_runs/lateness", {"work_pool_queues": {"name": {"any_": ["q"]}}})
# ---- logs download
step("GET", "/flow_runs/{r2}/logs/download")
step("GET", "/flow_runs/{r1}/logs/download")
step("GET", "/flow_runs/00000000-0000-0000-0000-000000000000/logs/download")
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "scenarios" / "ui_runs.steps.json"
json.dump(steps, OUT.open("w"), indent=1)
print(len(steps))
