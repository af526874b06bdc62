"""Prefect 3.9.1 SDK code that reads the event stream, run by
test_events_out.py against artifactd and the reference alike (the server
from PREFECT_API_URL). Prints one `E2E-RESULT {json}` line:

- `wait_finished`: `wait_for_flow_run` on a run already Completed;
- `wait_later`: `wait_for_flow_run` on a Pending run that another thread
  moves to Running and then Completed through the API while it waits, and
  how long that took;
- `events`: that run's flow-run events, read back with
  `get_client().read_events` (oldest first);
- `cancelling`: whether the runner's `FlowRunCancellingObserver`, with
  polling put off, was told of a run set to Cancelling (only the event
  stream can have told it)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid

import httpx
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOrder, EventResourceFilter
from prefect.flow_runs import wait_for_flow_run
from prefect._internal.observers import FlowRunCancellingObserver

API = os.environ["PREFECT_API_URL"]


def post(path, body):
    r = httpx.post(API + path, json=body, timeout=30)
    r.raise_for_status()
    return r.json()


def new_run(flow_id, name):
    return post("/flow_runs/", {"flow_id": flow_id, "name": name, "tags": ["e2e"]})["id"]


def set_state(run_id, state_type, name=None):
    state = {"type": state_type}
    if name:
        state["name"] = name
    return post(f"/flow_runs/{run_id}/set_state", {"state": state, "force": True})


async def main():
    out = {}
    flow_id = post("/flows/", {"name": "events-e2e", "tags": ["flowtag"]})["id"]

    done = new_run(flow_id, "already-done")
    set_state(done, "RUNNING")
    set_state(done, "COMPLETED")
    fr = await wait_for_flow_run(uuid.UUID(done), timeout=30)
    out["wait_finished"] = fr.state.type.value

    later = new_run(flow_id, "finishes-later")

    def finish():
        time.sleep(2)
        set_state(later, "RUNNING")
        time.sleep(0.5)
        set_state(later, "COMPLETED")

    t0 = time.monotonic()
    threading.Thread(target=finish, daemon=True).start()
    fr = await wait_for_flow_run(uuid.UUID(later), timeout=60)
    out["wait_later"] = {"state": fr.state.type.value, "seconds": round(time.monotonic() - t0, 1)}

    async with get_client() as client:
        # The reference refuses more than 50 a page (the client's default is 100).
        page = None
        for _ in range(20):
            page = await client.read_events(
                filter=EventFilter(
                    resource=EventResourceFilter(id=[f"prefect.flow-run.{later}"]),
                    event=EventNameFilter(prefix=["prefect.flow-run."]),
                    order=EventOrder.ASC,
                ),
                limit=50,
            )
            # The reference's persister writes in batches every few seconds.
            if page.total >= 3:
                break
            await asyncio.sleep(1)
        out["events"] = [e.model_dump(mode="json") for e in page.events]
        out["ids"] = {"flow": flow_id, "run": later}

    told = asyncio.Event()
    seen = []

    def on_cancelling(flow_run_id):
        seen.append(str(flow_run_id))
        told.set()

    doomed = new_run(flow_id, "to-cancel")
    set_state(doomed, "RUNNING")
    async with FlowRunCancellingObserver(on_cancelling=on_cancelling, polling_interval=300) as observer:
        observer.add_in_flight_flow_run_id(uuid.UUID(doomed))
        await asyncio.sleep(1)
        set_state(doomed, "CANCELLING", "Cancelling")
        try:
            await asyncio.wait_for(told.wait(), 20)
        except asyncio.TimeoutError:
            pass
    out["cancelling"] = seen == [doomed]

    print("E2E-RESULT " + json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
