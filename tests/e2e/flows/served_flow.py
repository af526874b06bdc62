"""Served by tests/e2e/test_serve.py with `flow.serve()`: a task, an
artifact, and the parameters it ran with."""

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact


@task
def add(x: int, y: int) -> int:
    return x + y


@flow(name="served-flow", log_prints=True)
def served_flow(x: int = 1, y: int = 2) -> int:
    total = add(x, y)
    create_markdown_artifact(key="served-total", markdown=f"total {total}")
    print(f"total is {total}")
    return total


if __name__ == "__main__":
    served_flow.serve(name="served-deployment")
