"""(d) suspend_flow_run in a flow that has no deployment: the server
refuses to suspend it (the run is aborted)."""

from prefect import flow
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run

import _sbs

REACHED = {"after_suspend": False}


@flow(name="sbs-suspend")
def suspending() -> str:
    suspend_flow_run(timeout=60)
    REACHED["after_suspend"] = True
    return flow_run.id


if __name__ == "__main__":
    state = suspending(return_state=True)
    with _sbs.client() as c:
        fr_id = state.state_details.flow_run_id
        _sbs.emit({"returned": _sbs.state_of(state), "reached": REACHED,
                   "flow_run": _sbs.flow_run(c, fr_id)})
