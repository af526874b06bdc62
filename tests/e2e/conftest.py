"""Fixtures of the end-to-end tests: artifactd built by `cargo build`
(`target/debug/artifactd`, or `$ARTIFACTD_BIN`) serving a throwaway
database on a free port, and Prefect 3.9.1's own client and CLI (from the
Python that runs pytest) pointed at it. Run through `./scripts/test`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_lib as lib  # noqa: E402


def pytest_sessionstart(session):
    import prefect

    if prefect.__version__ != "3.9.1":
        raise pytest.UsageError(f"the e2e tests need prefect==3.9.1, this Python has {prefect.__version__}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = lib.Server(tmp_path_factory.mktemp("artifactd"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


class FlowRun:
    def __init__(self, proc, result):
        self.proc = proc
        self.result = result
        self.output = proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def flow_run(server, prefect_home) -> FlowRun:
    """The SDK flow, run once per module against that module's server."""
    proc, result = lib.run_flow(server.api, prefect_home)
    run = FlowRun(proc, result)
    assert proc.returncode == 0 and result, (
        f"the flow failed (exit {proc.returncode}):\n{run.output}\n--- artifactd log:\n{server.log()}"
    )
    return run


@pytest.fixture(scope="module")
def answers(server, flow_run):
    """Every normalized API answer the tests check (see e2e_lib.query_api)."""
    return lib.query_api(server.api, flow_run.result)
