"""(c) pause_flow_run(timeout=...) in a flow, resumed from another thread
with resume_flow_run once the server says the run is Paused; then a second
pause that waits for input (wait_for_input), resumed with run_input."""

import threading
import time

from pydantic import BaseModel

from prefect import flow, get_client
from prefect.flow_runs import pause_flow_run, resume_flow_run
from prefect.runtime import flow_run

import _sbs

SEEN = []


class Answer(BaseModel):
    name: str
    count: int


def resumer(flow_run_id: str, pauses: list) -> None:
    """Waits for each pause in turn and resumes the run."""
    with get_client(sync_client=True) as c:
        for run_input in pauses:
            deadline = time.time() + 60
            while time.time() < deadline:
                st = c.read_flow_run(flow_run_id).state
                if st is not None and st.is_paused():
                    SEEN.append(_sbs.state_of(st) | {"pause_key": bool(st.state_details.pause_key),
                                                     "reschedule": st.state_details.pause_reschedule})
                    break
                time.sleep(0.2)
            else:
                SEEN.append("never paused")
                return
            resume_flow_run(flow_run_id, run_input=run_input)
            # wait until the run is running again before looking for the next pause
            deadline = time.time() + 60
            while time.time() < deadline:
                st = c.read_flow_run(flow_run_id).state
                if st is not None and not st.is_paused():
                    break
                time.sleep(0.2)


@flow(name="sbs-pause-resume")
def pausing() -> dict:
    t = threading.Thread(target=resumer, args=(flow_run.id, [None, {"name": "ada", "count": 3}]), daemon=True)
    t.start()
    pause_flow_run(timeout=30, poll_interval=1)
    answer = pause_flow_run(wait_for_input=Answer, timeout=30, poll_interval=1)
    t.join(timeout=60)
    return {"id": flow_run.id, "answer": answer.model_dump()}


if __name__ == "__main__":
    state = pausing(return_state=True)
    out = state.result(raise_on_failure=False)
    with _sbs.client() as c:
        fr_id = state.state_details.flow_run_id
        _sbs.emit({"returned": _sbs.state_of(state),
                   "answer": out.get("answer") if isinstance(out, dict) else repr(out),
                   "paused_states_seen": SEEN, "flow_run": _sbs.flow_run(c, fr_id)})
