"""(g) A parent flow with a subflow called twice and a task; artifacts in
both."""

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

import _sbs


@task
def double(x: int) -> int:
    return 2 * x


@flow(name="sbs-child")
def child(x: int) -> str:
    create_markdown_artifact(f"child {x}", key="child-report")
    return flow_run.id


@flow(name="sbs-parent")
def parent() -> dict:
    create_markdown_artifact("parent", key="parent-report")
    y = double(2)
    return {"parent": flow_run.id, "children": [child(y), child(y + 1)]}


if __name__ == "__main__":
    ids = parent()
    with _sbs.client() as c:
        _sbs.emit({
            "parent": _sbs.flow_run(c, ids["parent"], tasks=3, states=False),
            "children": [_sbs.flow_run(c, i, states=False) for i in ids["children"]],
        })
