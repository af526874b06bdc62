"""`flow.serve()` and `run_deployment` with Prefect 3.9.1's own SDK: a flow
served in a subprocess registers its deployment, the runner picks up the
run `run_deployment(..., timeout=60)` creates (polling
`/deployments/get_scheduled_flow_runs`, proposing Pending, spawning the
flow-run process that loads the flow from the entrypoint), the run
completes with its task and artifact, and the serve process stops cleanly
on SIGTERM, pausing its deployment. The same runs against a real
`prefect server start` unless ARTIFACTD_E2E_REFERENCE=0, and both must end
the same way.

ARTIFACTD_E2E_SERVE_PORTS=4323,4324 pins the two servers' ports (default:
free ports)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib

FLOW = lib.HERE / "flows" / "served_flow.py"
TRIGGER = """
import json
from prefect.deployments import run_deployment
fr = run_deployment("served-flow/served-deployment", parameters={"x": 3}, timeout=60)
print("E2E-RESULT " + json.dumps({"id": str(fr.id), "state": fr.state.type.value}))
"""

# Client output that means the server let the SDK down.
BAD_OUTPUT = re.compile(
    r"\| (WARNING|ERROR|CRITICAL) |Traceback|Unable to|Failed to|Crash|EventsWorker|"
    r"HTTP/1\.1 [45]\d\d|status code [45]\d\d|Not Found|Method Not Allowed",
    re.IGNORECASE,
)
# The runner's cancellation and suspension observers subscribe to the
# `/api/events/out` websocket, which another branch serves; without it they
# say once that they fall back to polling `/flow_runs/filter` (which works).
# Only that warning is allowed, and only against artifactd.
OBSERVER_FALLBACK = re.compile(
    r"FlowRun(Cancelling|Suspending)Observer failed to connect to the events stream\. "
    r"Falling back to polling until it reconnects\. Reason: server rejected WebSocket connection: HTTP 404"
)


def ports() -> list[int | None]:
    raw = os.environ.get("ARTIFACTD_E2E_SERVE_PORTS", "")
    got = [int(p) for p in raw.split(",") if p.strip()]
    return got + [None] * (2 - len(got))


def children(pid: int) -> list[str]:
    """The child processes of `pid` (Linux `/proc`) but multiprocessing's
    resource tracker, which lives as long as the runner."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += (task / "children").read_text().split()
        except OSError:
            pass

    def cmdline(child: str) -> str:
        try:
            return Path(f"/proc/{child}/cmdline").read_text(errors="replace")
        except OSError:
            return ""

    return [c for c in out if "resource_tracker" not in cmdline(c)]


FLOW_FINISHED = re.compile(r"Flow run '[^']+' - Finished in state Completed\(\)")


def serve_and_run(api: str, tmp: Path) -> dict:
    """Serves the flow against `api`, runs its deployment, stops the serve
    process with SIGTERM; returns what happened."""
    home = tmp / "client-home"
    home.mkdir(exist_ok=True)
    env = lib.prefect_env(api, home)
    out_path = tmp / "serve.out"
    with open(out_path, "wb") as out:
        serve = subprocess.Popen(
            [sys.executable, str(FLOW)], cwd=FLOW.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.time() + 60
            deployment = None
            while deployment is None:
                assert serve.poll() is None, out_path.read_text()
                r = httpx.get(f"{api}/deployments/name/served-flow/served-deployment")
                if r.status_code == 200:
                    deployment = r.json()
                elif time.time() > deadline:
                    raise AssertionError(f"the deployment never appeared:\n{out_path.read_text()}")
                else:
                    time.sleep(0.5)
            trigger = subprocess.run(
                [sys.executable, "-c", TRIGGER], env=env, capture_output=True, text=True, timeout=120
            )
            result = {}
            for line in trigger.stdout.splitlines():
                if line.startswith("E2E-RESULT "):
                    result = json.loads(line[len("E2E-RESULT ") :])
            # The client sees the final state before the flow-run process
            # has finished its teardown; a runner stopped before that
            # process exits cancels the run (on either server). Wait for
            # the process to go, then stop the runner.
            deadline = time.time() + 60
            while time.time() < deadline and (
                not FLOW_FINISHED.search(out_path.read_text(errors="replace")) or children(serve.pid)
            ):
                time.sleep(0.2)
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=60)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
    run = httpx.get(f"{api}/flow_runs/{result['id']}").json() if result else {}
    artifacts = (
        httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [result["id"]]}}}).json()
        if result
        else []
    )
    task_runs = (
        httpx.post(f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [result["id"]]}}}).json()
        if result
        else []
    )
    after = httpx.get(f"{api}/deployments/{deployment['id']}").json()
    return {
        "deployment": deployment,
        "deployment_after": after,
        "trigger": trigger,
        "result": result,
        "run": run,
        "artifacts": artifacts,
        "task_runs": task_runs,
        "serve_code": code,
        "serve_output": out_path.read_text(errors="replace"),
    }


def check(outcome: dict, allowed=None) -> None:
    trigger = outcome["trigger"]
    assert trigger.returncode == 0 and outcome["result"], trigger.stdout + trigger.stderr
    assert outcome["result"]["state"] == "COMPLETED", outcome
    run = outcome["run"]
    assert run["state_type"] == "COMPLETED", run
    assert run["parameters"] == {"x": 3}, run
    assert run["deployment_id"] == outcome["deployment"]["id"]
    assert run["run_count"] == 1, run
    assert [a["key"] for a in outcome["artifacts"]] == ["served-total"], outcome["artifacts"]
    assert outcome["artifacts"][0]["data"] == "total 5"
    assert [t["state_type"] for t in outcome["task_runs"]] == ["COMPLETED"], outcome["task_runs"]
    out = outcome["serve_output"]
    assert "Finished in state Completed()" in out, out
    assert "total is 5" in out, out
    # SIGTERM: a clean exit that pauses the deployment first.
    assert "SIGTERM received, initiating graceful shutdown" in out, out
    assert "All deployments have been paused!" in out, out
    assert outcome["serve_code"] == 0, out
    assert outcome["deployment_after"]["paused"] is True
    assert outcome["deployment_after"]["status"] == "READY"
    lines = (out + trigger.stdout + trigger.stderr).splitlines()
    bad = [l for l in lines if BAD_OUTPUT.search(l) and not (allowed and allowed.search(l))]
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-artifactd")
    server = lib.Server(tmp, port=ports()[0])
    try:
        yield serve_and_run(server.api, tmp), server
    finally:
        server.stop()


def test_a_served_flow_runs_its_deployment_and_stops_cleanly(served):
    outcome, _ = served
    check(outcome, allowed=OBSERVER_FALLBACK)


def test_the_server_saw_nothing_it_does_not_serve(served):
    _, server = served
    log = server.log()
    unsupported = [l for l in log.splitlines() if "unsupported endpoint" in l and "/api/events/out" not in l]
    assert not unsupported, log
    for what in ("panicked", " ERROR "):
        assert what not in log, log


@pytest.mark.skipif(
    os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0",
    reason="ARTIFACTD_E2E_REFERENCE=0 skips the same run against a real `prefect server start`",
)
def test_the_reference_ends_the_same_way(served, tmp_path):
    ours, _ = served
    # Services on: its task-run recorder writes the task runs from events.
    proc, api, log = lib.start_reference(tmp_path, services=True, port=ports()[1])
    try:
        theirs = serve_and_run(api, tmp_path)
    finally:
        lib.stop_reference(proc, log)
    check(theirs)
    for key in ("state_type", "state_name", "parameters", "run_count", "tags"):
        assert ours["run"][key] == theirs["run"][key], key
    assert [a["data"] for a in ours["artifacts"]] == [a["data"] for a in theirs["artifacts"]]
