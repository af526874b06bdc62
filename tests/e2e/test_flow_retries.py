"""Smoke test of server-side orchestration with Prefect 3.9.1's SDK: a
`@flow(retries=2, retry_delay_seconds=0)` that fails once ends Completed
after two runs, the failure having become AwaitingRetry on the server."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

import e2e_lib as lib

FLOW = lib.HERE / "flows" / "retry_flow.py"


def test_a_flow_failing_once_is_retried_to_completion(server, prefect_home):
    proc = subprocess.run(
        [sys.executable, str(FLOW)],
        env=lib.prefect_env(server.api, prefect_home),
        capture_output=True,
        text=True,
        timeout=lib.FLOW_TIMEOUT,
    )
    out = proc.stdout + proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.startswith("E2E-RESULT ")]
    assert proc.returncode == 0 and lines, f"{out}\n--- artifactd log:\n{server.log()}"
    result = json.loads(lines[-1][len("E2E-RESULT ") :])
    assert result["type"] == "COMPLETED", out
    run = httpx.get(f"{server.api}/flow_runs/{result['flow_run_id']}").json()
    assert (run["state_type"], run["run_count"]) == ("COMPLETED", 2), run
    assert run["empirical_policy"]["retries"] == 2
    history = httpx.get(f"{server.api}/flow_run_states/", params={"flow_run_id": result["flow_run_id"]}).json()
    names = [s["name"] for s in history]
    assert "AwaitingRetry" in names and "Failed" not in names, names
    assert names[-1] == "Completed", names
