"""(f) Transitions the server does not allow, proposed through the client:
Pending on a completed run, Pending on a running run, Running on a
completed run, and a forced Pending on the completed one; each
orchestration result printed."""

from prefect import flow
from prefect.states import Pending, Running

import _sbs


@flow(name="sbs-invalid")
def done() -> int:
    return 1


if __name__ == "__main__":
    out = {}
    with _sbs.client() as c:
        completed = done(return_state=True).state_details.flow_run_id
        out["completed -> pending"] = _sbs.orchestration(c.set_flow_run_state(completed, Pending()))
        out["completed -> running"] = _sbs.orchestration(c.set_flow_run_state(completed, Running()))
        running = c.create_flow_run(done, state=Pending())
        out["pending -> running"] = _sbs.orchestration(c.set_flow_run_state(running.id, Running()))
        out["running -> pending"] = _sbs.orchestration(c.set_flow_run_state(running.id, Pending()))
        out["completed run"] = _sbs.flow_run(c, completed)
        out["running run"] = _sbs.flow_run(c, running.id, logs=False)
        out["completed -> pending (force)"] = _sbs.orchestration(
            c.set_flow_run_state(completed, Pending(), force=True))
        out["forced run"] = _sbs.flow_run(c, completed, logs=False)
    _sbs.emit(out)
