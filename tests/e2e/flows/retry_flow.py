"""A flow with `retries=2, retry_delay_seconds=0` whose first attempt
fails: the server turns the failure into AwaitingRetry and the SDK runs it
again in process. Prints `E2E-RESULT {json}` with the flow run id."""

import json

from prefect import flow
from prefect.runtime import flow_run

ATTEMPTS = {"n": 0}


@flow(name="e2e-retried", retries=2, retry_delay_seconds=0)
def retried() -> str:
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] < 2:
        raise ValueError("first attempt fails")
    return flow_run.id


if __name__ == "__main__":
    state = retried(return_state=True)
    print("E2E-RESULT " + json.dumps({"flow_run_id": str(state.state_details.flow_run_id), "type": state.type.value}))
