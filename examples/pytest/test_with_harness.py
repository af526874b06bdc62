"""The flows tested the way Prefect's docs recommend: one
prefect_test_harness() for the session (a real Prefect server over a
temporary SQLite database)."""

import pytest
from prefect import get_client
from prefect.testing.utilities import prefect_test_harness

from flows import parent, read_report, report_flow


@pytest.fixture(autouse=True, scope="session")
def prefect_test_fixture():
    with prefect_test_harness():
        yield


def test_report_flow_publishes_artifacts():
    assert report_flow() == "tuned"
    assert "**tuned**" in read_report("model-report")


def test_read_missing_artifact():
    assert read_report("no-such-key") is None


def test_subflows_with_retries():
    assert parent(["a", "b"]) == ["a ok after 2 attempts", "b ok after 2 attempts"]


async def _flow_names():
    async with get_client() as client:
        return {f.name for f in await client.read_flows()}


def test_flows_are_recorded():
    import asyncio

    report_flow()
    assert "report-flow" in asyncio.run(_flow_names())
