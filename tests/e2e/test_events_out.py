"""`/api/events/out` and the stored events with Prefect 3.9.1's own SDK
(flows/events_client.py): `wait_for_flow_run` returns for a finished run
and for one that finishes while it waits, the runner's cancellation
observer hears of a Cancelling run through the stream, and the flow-run
events the server emitted, read back with `get_client().read_events`, look
like a real `prefect server start`'s (skipped with ARTIFACTD_E2E_REFERENCE=0)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import e2e_lib as lib

CLIENT = lib.HERE / "flows" / "events_client.py"


def run_client(api: str, home) -> dict:
    proc = subprocess.run(
        [sys.executable, str(CLIENT)],
        env=lib.prefect_env(api, home),
        capture_output=True,
        text=True,
        timeout=240,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("E2E-RESULT "):
            return json.loads(line[len("E2E-RESULT ") :])
    raise AssertionError(f"the client failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="module")
def ours(server, tmp_path_factory):
    result = run_client(server.api, tmp_path_factory.mktemp("home"))
    return result


def test_wait_for_flow_run_returns_for_a_finished_run(ours):
    assert ours["wait_finished"] == "COMPLETED"


def test_wait_for_flow_run_returns_when_the_run_finishes_while_waiting(ours):
    assert ours["wait_later"]["state"] == "COMPLETED"
    # The run finished about 2.5 s in; far below the 60 s timeout.
    assert ours["wait_later"]["seconds"] < 30


def test_the_cancellation_observer_hears_of_cancelling_runs_through_the_stream(ours):
    assert ours["cancelling"] is True


TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def normalize(result: dict) -> list:
    """Events with ids, times and generated names replaced: ids by their
    role (the run, the flow, or the n-th event), times by a marker."""
    ids = {result["ids"]["run"]: "<run>", result["ids"]["flow"]: "<flow>"}
    for i, e in enumerate(result["events"]):
        ids[e["id"]] = f"<event {i}>"

    def norm(v, key=None):
        if key == "received":
            return "<time>"
        if isinstance(v, str):
            if TIME_RE.match(v):
                return "<time>"
            return lib.UUID_RE.sub(lambda m: ids.get(m.group(0), "<other id>"), v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x, k) for k, x in v.items()}
        return v

    return [norm(e) for e in result["events"]]


def test_emitted_events_read_back(ours):
    events = normalize(ours)
    assert [e["event"] for e in events] == ["prefect.flow-run.Pending", "prefect.flow-run.Running", "prefect.flow-run.Completed"]
    assert events[1]["follows"] == "<event 0>"
    assert events[2]["resource"]["prefect.state-type"] == "COMPLETED"


@pytest.mark.skipif(
    os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0",
    reason="ARTIFACTD_E2E_REFERENCE=0 skips the comparison with a real `prefect server start`",
)
def test_emitted_events_look_like_the_reference(ours, tmp_path):
    proc, api, log = lib.start_reference(tmp_path, services=True)
    try:
        theirs = run_client(api, tmp_path / "home")
    finally:
        lib.stop_reference(proc, log)
    assert theirs["wait_finished"] == ours["wait_finished"]
    assert theirs["wait_later"]["state"] == ours["wait_later"]["state"]
    assert theirs["cancelling"] == ours["cancelling"]
    assert normalize(ours) == normalize(theirs)
