"""Shared by the side-by-side scripts (not a scenario itself): reads what a
Prefect user would look at after a run -- final state, run count, state
history, task runs, artifacts by key, logs -- through Prefect 3.9.1's own
client, and prints it as one line `SIDE-BY-SIDE {json}`. Every read is
guarded: an answer the server cannot give is recorded as
`{"error": "<status or exception class>"}` so that the summary still prints
and the comparison shows exactly which read differs."""

from __future__ import annotations

import json
import time
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.sorting import ArtifactSort, LogSort, TaskRunSort

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def emit(summary: dict) -> None:
    print("SIDE-BY-SIDE " + json.dumps(summary, default=str), flush=True)


def flush_logs() -> None:
    """The client ships logs from a background worker; drain it so that
    the logs are on the server before they are read back."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)


def guarded(fn):
    try:
        return fn()
    except Exception as exc:  # an answer the server could not give
        status = getattr(getattr(exc, "response", None), "status_code", None)
        return {"error": status if status is not None else type(exc).__name__}


def state_of(state) -> dict | None:
    if state is None:
        return None
    return {"type": state.type.value, "name": state.name, "message": state.message}


def history(states) -> list | dict:
    if isinstance(states, dict):
        return states
    return [[s.type.value, s.name] for s in sorted(states, key=lambda s: s.timestamp)]


def orchestration(result) -> dict:
    """What the client saw of one proposed state: status, the reason and the
    state the server settled on."""
    details = result.details
    return {
        "status": result.status.value,
        "reason": getattr(details, "reason", None),
        "state": state_of(result.state),
    }


def wait_terminal_tasks(client, flow_run_id: UUID, expected: int, timeout: float = 20) -> None:
    """A server with services records task runs from events, a moment after
    the client sent them: wait until `expected` task runs are there and
    final (no wait once they are)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = guarded(lambda: client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))))
        if isinstance(runs, list) and len(runs) >= expected and all(
            r.state_type is not None and r.state_type.value in TERMINAL for r in runs
        ):
            return
        time.sleep(0.3)


def read_logs(client, flow_run_id: UUID, await_final: bool):
    """The run's logs, oldest first. With `await_final` (a run another
    process ran, whose log worker ships its logs after the run is over)
    wait until its "Finished in state" line is there, for at most 20 s."""
    deadline = time.time() + (20 if await_final else 0)
    while True:
        rows = guarded(lambda: client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])),
            sort=LogSort.TIMESTAMP_ASC,
        ))
        done = isinstance(rows, list) and any(r.message.startswith("Finished in state") for r in rows)
        if done or time.time() >= deadline:
            return [[r.level, r.message] for r in rows] if isinstance(rows, list) else rows
        time.sleep(0.3)


def flow_run(client, flow_run_id, *, tasks: int = 0, states: bool = True, logs: bool = True,
             logs_from_elsewhere: bool = False) -> dict:
    """One flow run as a user sees it; `tasks` is how many task runs to
    wait for (see wait_terminal_tasks)."""
    flow_run_id = UUID(str(flow_run_id))
    if tasks:
        wait_terminal_tasks(client, flow_run_id, tasks)
    fr = client.read_flow_run(flow_run_id)
    out = {
        "flow": client.read_flow(fr.flow_id).name,
        "state": state_of(fr.state),
        "run_count": fr.run_count,
        "parent_task_run": fr.parent_task_run_id is not None,
        "deployment": fr.deployment_id is not None,
    }
    if states:
        out["states"] = history(guarded(lambda: client.read_flow_run_states(flow_run_id)))
    task_runs = guarded(lambda: client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
        sort=TaskRunSort.EXPECTED_START_TIME_ASC,
    ))
    if isinstance(task_runs, list):
        out["task_runs"] = []
        for tr in sorted(task_runs, key=lambda t: (t.task_key, t.dynamic_key)):
            row = {
                "task_key": tr.task_key.rsplit("-", 1)[0],
                "dynamic_key": tr.dynamic_key,
                "state": state_of(tr.state),
                "run_count": tr.run_count,
            }
            if states:
                row["states"] = history(guarded(lambda: client.read_task_run_states(tr.id)))
            out["task_runs"].append(row)
    else:
        out["task_runs"] = task_runs
    arts = guarded(lambda: client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])),
        sort=ArtifactSort.CREATED_DESC,
    ))
    if isinstance(arts, list):
        by_key: dict = {}
        for a in reversed(arts):  # oldest first
            by_key.setdefault(a.key or "<no key>", []).append({"type": a.type, "data": a.data})
        out["artifacts"] = by_key
    else:
        out["artifacts"] = arts
    if logs:
        flush_logs()
        out["logs"] = read_logs(client, flow_run_id, logs_from_elsewhere)
    return out


def client():
    return get_client(sync_client=True)
