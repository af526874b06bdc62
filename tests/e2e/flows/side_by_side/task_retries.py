"""(b) A task with retries=2 that fails twice and succeeds on its third
run; its state history shows each Retrying."""

from prefect import flow, task
from prefect.runtime import flow_run

import _sbs

ATTEMPTS = {"n": 0}


@task(retries=2, retry_delay_seconds=0)
def flaky() -> int:
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] < 3:
        raise RuntimeError(f"attempt {ATTEMPTS['n']} fails")
    return ATTEMPTS["n"]


@task(retries=1, retry_delay_seconds=0)
def always_fails() -> None:
    raise RuntimeError("never works")


@flow(name="sbs-task-retries")
def with_retries() -> str:
    flaky()
    always_fails(return_state=True)
    return flow_run.id


if __name__ == "__main__":
    fr_id = with_retries()
    with _sbs.client() as c:
        _sbs.emit({"attempts": ATTEMPTS["n"], "flow_run": _sbs.flow_run(c, fr_id, tasks=2)})
