"""The process scenario (h) starts: `flow.serve()` of one flow (not a
scenario itself)."""

from prefect import flow
from prefect.artifacts import create_markdown_artifact


@flow(name="sbs-served", log_prints=True)
def served(n: int = 1) -> int:
    print(f"served with n={n}")
    create_markdown_artifact(f"n is {n}", key="served-report")
    return n * 10


if __name__ == "__main__":
    served.serve(name="sbs-deployment", tags=["sbs"])
