"""Ordinary Prefect 3 flows, as a user would write them: the tests beside
this file run them against a test server (Prefect's own harness, or
artifactd through its pytest plugin)."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import Artifact, create_link_artifact, create_markdown_artifact, create_table_artifact

SCORES = [
    {"model": "baseline", "accuracy": 0.81},
    {"model": "tuned", "accuracy": 0.87},
]


@task
def score_models() -> list[dict]:
    return SCORES


@task
def publish(scores: list[dict]) -> str:
    best = max(scores, key=lambda row: row["accuracy"])
    create_table_artifact(key="model-scores", table=scores, description="accuracy by model")
    create_markdown_artifact(
        key="model-report",
        markdown=f"# Model report\n\nBest model: **{best['model']}** ({best['accuracy']:.0%})",
    )
    create_link_artifact(key="model-dashboard", link="https://example.com/models", link_text="dashboard")
    return best["model"]


@flow
def report_flow() -> str:
    """Scores models and publishes a table, a markdown report and a link."""
    return publish(score_models())


@flow
def read_report(key: str = "model-report") -> str | None:
    """Reads an artifact back by key, through the API."""
    artifact = Artifact.get(key)
    return None if artifact is None else artifact.data


ATTEMPTS: dict[str, int] = {}


@task(retries=2, retry_delay_seconds=0)
def flaky(name: str) -> str:
    # Fails on its first attempt, succeeds on the retry.
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    if ATTEMPTS[name] < 2:
        raise RuntimeError(f"{name}: transient failure")
    return f"{name} ok after {ATTEMPTS[name]} attempts"


@flow
def child(name: str) -> str:
    return flaky(name)


@flow
def parent(names: list[str]) -> list[str]:
    """A flow with a subflow per name, each with a task that is retried."""
    for name in names:
        ATTEMPTS.pop(name, None)
    return [child(name) for name in names]


if __name__ == "__main__":
    print(report_flow())
    print(read_report())
    print(parent(["a", "b"]))
