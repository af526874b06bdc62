"""(i) wait_for_flow_run for a run that has already finished (it answers
from the run's state, and from the events stream)."""

import asyncio

from prefect import flow
from prefect.flow_runs import wait_for_flow_run

import _sbs


@flow(name="sbs-wait")
def quick() -> int:
    return 3


if __name__ == "__main__":
    fr_id = quick(return_state=True).state_details.flow_run_id
    fr = asyncio.run(wait_for_flow_run(fr_id, timeout=30))
    with _sbs.client() as c:
        _sbs.emit({"waited": _sbs.state_of(fr.state), "flow_run": _sbs.flow_run(c, fr_id, states=False, logs=False)})
