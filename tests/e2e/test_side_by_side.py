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
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

import e2e_lib as lib
import side_by_side_lib as sbs

LIVE = os.environ.get("ARTIFACTD_E2E_REFERENCE") != "0"

# What each failing scenario waits for (measured on branch e2e: the missing
# endpoints artifactd logged, see tests/e2e/README.md). A scenario not
# listed passes today (subflow).
MISSING: dict[str, str] = {}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference's /api URL (a live `prefect server start` with
    services), or None when comparing with the recorded outcomes."""
    if not LIVE:
        yield None
        return
    proc, api, log = lib.start_reference(tmp_path_factory.mktemp("reference"), services=True)
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
        if reference is not None and name in recorded and recorded[name] != expected:
            # Not artifactd's fault, but the recording no longer says what the
            # reference does: re-record (tools/record_side_by_side.py --record).
            warnings.warn(f"{name}: the live reference differs from {sbs.RECORDED.name}:\n"
                          f"{sbs.diff(recorded[name], expected, ('recorded', 'live reference'))}")
        # The reference itself must have run the scenario to its summary:
        # otherwise the comparison proves nothing.
        assert expected["summary"] is not None, f"the reference gave no summary:\n{ref_raw}"
        assert actual == expected, (
            f"{name}: artifactd differs from Prefect 3.9.1\n{sbs.diff(expected, actual)}\n"
            f"--- artifactd client output:\n{raw}\n--- artifactd log (tail):\n{server.log()[-4000:]}"
        )
    finally:
        server.stop()


def test_masking_keeps_what_differs():
    """The masks hide what varies from run to run and nothing else."""
    line = ("12:00:01.123 | ERROR   | Flow run 'brave-fox' - Finished in 1.5s at 2026-12-02T00:44:58.227Z "
            "File \"/somewhere/venv/prefect/flow_engine.py\", line 3, /tmp/h/storage/" + "ab" * 16)
    assert sbs.client_lines(line) == [
        "ERROR Flow run '<name>' - Finished in <duration> at <time> File \"flow_engine.py\", line 3, <storage key>"
    ]
    # Different states, names of flows and messages stay different.
    assert sbs.mask({"s": "Completed", "f": "for flow 'a'"}) != sbs.mask({"s": "Failed", "f": "for flow 'b'"})
    assert sbs.mask(["6f348e27-4f14-42d1-8c3a-b00377a99432"]) == ["<id>"]
    assert sbs.client_lines("12:00:01.123 | WARNING | EventsWorker - Still processing items: 3 items remaining...") == []
    assert sbs.client_lines("12:00:01.123 | WARNING | EventsWorker - Something else") == [
        "WARNING EventsWorker - Something else"
    ]
