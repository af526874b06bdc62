"""(a) A flow with retries=2 that fails on its first attempt; each attempt
creates a markdown artifact under the same key. The server decides the
retry (AwaitingRetry, then Running again)."""

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

import _sbs

ATTEMPTS = {"n": 0}


@flow(name="sbs-flow-retries", retries=2, retry_delay_seconds=0)
def flaky_flow() -> str:
    ATTEMPTS["n"] += 1
    create_markdown_artifact(f"attempt {ATTEMPTS['n']}", key="attempt-report")
    if ATTEMPTS["n"] == 1:
        raise ValueError("first attempt fails")
    return flow_run.id


if __name__ == "__main__":
    state = flaky_flow(return_state=True)
    with _sbs.client() as c:
        fr_id = state.state_details.flow_run_id
        _sbs.emit({"returned": _sbs.state_of(state), "attempts": ATTEMPTS["n"],
                   "flow_run": _sbs.flow_run(c, fr_id)})
