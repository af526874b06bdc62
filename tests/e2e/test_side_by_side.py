"""The side-by-side proof: ordinary Prefect 3.9.1 user scripts
(flows/side_by_side/, each its own process) run against a fresh artifactd
and against a real Prefect 3.9.1 server with its services on, started once
for this module; exit codes, JSON summaries and the client's WARNING/ERROR
lines must be equal once ids, times, run names and durations are masked
(side_by_side_lib.mask). With ARTIFACTD_E2E_REFERENCE=0 the reference's
outcomes come from reference/side_by_side.json instead (re-record with
`python tests/e2e/tools/record_side_by_side.py`).

Scenarios that need a feature artifactd does not have yet on this branch
are strict xfails naming the feature: once it lands the scenario passes,
the xfail turns into a failure, and the mark is to be removed."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

import e2e_lib as lib
import side_by_side_lib as sbs

LIVE = os.environ.get("ARTIFACTD_E2E_REFERENCE") != "0"

# What each failing scenario waits for (measured on branch e2e, see
# tests/e2e/README.md). A scenario not listed passes today.
MISSING = {
    "flow_retries": "state history (GET /api/flow_run_states/) and flow-run retries (AwaitingRetry)",
    "task_retries": "state history (GET /api/task_run_states/, /api/flow_run_states/)",
    "pause_resume": "pause/resume (POST /api/flow_runs/{id}/resume, run input) and state history",
    "suspend_no_deployment": "orchestration: suspend aborted without a deployment; state history",
    "cancel": "orchestration: cancellation (Cancelling without infrastructure); state history",
    "invalid_transition": "orchestration: invalid transitions aborted; state history",
    "subflow": "state history (GET /api/flow_run_states/, /api/task_run_states/)",
    "serve_run_deployment": "deployments that run (deployments/name, create_flow_run, get_scheduled_flow_runs, flow.serve())",
    "wait_for_run": "events out (GET /api/events/out websocket) and state history",
    "variables": "variables (/api/variables/)",
    "state_history": "state history (GET /api/flow_run_states/, /api/task_run_states/)",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference's /api URL (a live `prefect server start` with
    services), or None when comparing with the recorded outcomes."""
    if not LIVE:
        yield None
        return
    port = os.environ.get("ARTIFACTD_E2E_REFERENCE_PORT")
    proc, api, log = lib.start_reference(
        tmp_path_factory.mktemp("reference"), services=True, port=int(port) if port else None
    )
    try:
        yield api
    finally:
        lib.stop_reference(proc, log)


@pytest.fixture(scope="module")
def recorded():
    return sbs.load_recorded()


def scenario_params():
    for name in sbs.SCENARIOS:
        marks = []
        if name in MISSING:
            marks.append(pytest.mark.xfail(strict=True, reason=MISSING[name]))
        yield pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", scenario_params())
def test_side_by_side(name, reference, recorded, tmp_path):
    server = lib.Server(tmp_path)
    try:
        if reference is None:
            assert name in recorded, f"{name} is not in {sbs.RECORDED}: record it"
            expected, ref_raw = recorded[name], "(recorded)"
            actual, raw = sbs.run_scenario(name, server.api, tmp_path / "artifactd-home")
        else:
            # Both sides at once: each is a separate client process.
            with ThreadPoolExecutor(2) as pool:
                ref_job = pool.submit(sbs.run_scenario, name, reference, tmp_path / "reference-home")
                mine_job = pool.submit(sbs.run_scenario, name, server.api, tmp_path / "artifactd-home")
                (expected, ref_raw), (actual, raw) = ref_job.result(), mine_job.result()
        # The reference itself must have run the scenario to its summary:
        # otherwise the comparison proves nothing.
        assert expected["summary"] is not None, f"the reference gave no summary:\n{ref_raw}"
        assert actual == expected, (
            f"{name}: artifactd differs from Prefect 3.9.1\n{sbs.diff(expected, actual)}\n"
            f"--- artifactd client output:\n{raw}\n--- artifactd log (tail):\n{server.log()[-4000:]}"
        )
    finally:
        server.stop()
