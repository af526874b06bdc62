"""The same flows tested through artifactd's pytest plugin: the
`artifactd` fixture gives each test an empty database on one session-wide
server and points Prefect at it; no prefect_test_harness."""

import asyncio

import pytest
from prefect import get_client

from flows import parent, read_report, report_flow


def test_report_flow_publishes_artifacts(artifactd):
    assert report_flow() == "tuned"
    assert "**tuned**" in read_report("model-report")
    exported = artifactd.export()
    assert {a["key"] for a in exported["artifacts"]} == {"model-scores", "model-report", "model-dashboard"}


def test_each_test_starts_empty(artifactd):
    # The previous test's artifacts are gone.
    assert read_report("model-report") is None
    assert artifactd.export()["artifacts"] == []


def test_subflows_with_retries(artifactd):
    assert parent(["a", "b"]) == ["a ok after 2 attempts", "b ok after 2 attempts"]


async def _flow_names():
    async with get_client() as client:
        return {f.name for f in await client.read_flows()}


def test_flows_are_recorded(artifactd):
    report_flow()
    assert asyncio.run(_flow_names()) == {"report-flow"}


@pytest.mark.artifactd(fixtures=["fixtures/release.json"])
def test_with_fixture_data(artifactd):
    # Loaded before the test: read it back as a flow would.
    assert read_report("release-notes") == "# Release 1.2\n\n- faster reports"
    # A new run's artifact becomes the latest under an existing key.
    report_flow()
    assert len(artifactd.export()["artifacts"]) == 5
