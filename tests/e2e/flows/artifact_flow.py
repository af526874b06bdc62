"""The SDK flow the end-to-end tests run against artifactd: a parent flow
with a subflow, a task that fails once and is retried, a task fed by
another task's result, and every kind of artifact the SDK creates. It
prints one line `E2E-RESULT {json}` with the ids the tests look up."""

import json

from prefect import flow, tags, task
from prefect.artifacts import (
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run, task_run

ATTEMPTS = {"n": 0}


@task(retries=2, retry_delay_seconds=0, tags=["flaky"])
def flaky() -> str:
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] < 2:
        raise ValueError("first try fails")
    create_markdown_artifact("# flaky ok", key="flaky-md", description="from a retried task")
    return task_run.id


@task
def tabulate(upstream: str) -> str:
    create_table_artifact([{"a": 1, "b": 2}, {"a": 3, "b": 4}], key="tbl", description="a table")
    create_link_artifact("https://example.com", link_text="ex", key="lnk")
    create_image_artifact("https://example.com/x.png", key="img")
    return task_run.id


@flow(name="e2e-child")
def child() -> str:
    create_markdown_artifact("child says hi", key="child-md")
    return flow_run.id


@flow(name="e2e-parent")
def parent() -> dict:
    progress_id = create_progress_artifact(0.0, key="prog", description="progress")
    create_markdown_artifact("report v1", key="report")
    flaky_id = flaky()
    tabulate_id = tabulate(flaky_id)
    child_id = child()
    create_markdown_artifact("report v2", key="report", description="second version")
    update_progress_artifact(progress_id, 100.0)
    return {
        "flow_run_id": flow_run.id,
        "flow_run_name": flow_run.name,
        "child_flow_run_id": child_id,
        "flaky_task_run_id": flaky_id,
        "tabulate_task_run_id": tabulate_id,
        "progress_artifact_id": str(progress_id),
    }


if __name__ == "__main__":
    with tags("e2e"):
        result = parent()
    print("E2E-RESULT " + json.dumps(result), flush=True)
