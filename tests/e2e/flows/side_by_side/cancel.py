"""(e) Cancellation through the client: a flow run that is Scheduled, and
one that is Pending, set to Cancelling (neither has infrastructure, so the
server settles them as it decides); then a running flow that cancels its
own run from inside and goes on to return."""

from prefect import flow, get_client
from prefect.client.schemas.objects import StateType
from prefect.runtime import flow_run
from prefect.states import Cancelling, Pending, Scheduled

import _sbs

SEEN = {}


@flow(name="sbs-cancel-target")
def target() -> None:
    pass


@flow(name="sbs-cancel-running")
def cancels_itself() -> str:
    with get_client(sync_client=True) as c:
        SEEN["cancel while running"] = _sbs.orchestration(c.set_flow_run_state(flow_run.id, Cancelling()))
    return flow_run.id


if __name__ == "__main__":
    out = {}
    with _sbs.client() as c:
        for label, initial in (("scheduled", Scheduled()), ("pending", Pending())):
            fr = c.create_flow_run(target, state=initial)
            out[f"{label} -> cancelling"] = _sbs.orchestration(c.set_flow_run_state(fr.id, Cancelling()))
            out[f"{label} run"] = _sbs.flow_run(c, fr.id, logs=False)
        state = cancels_itself(return_state=True)
        out["running returned"] = _sbs.state_of(state)
        out["running seen"] = SEEN
        out["running run"] = _sbs.flow_run(c, state.state_details.flow_run_id)
        out["running is cancelled"] = c.read_flow_run(state.state_details.flow_run_id).state_type == StateType.CANCELLED
    _sbs.emit(out)
