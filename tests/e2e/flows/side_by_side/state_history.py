"""(k) A run's state history through client.read_flow_run_states and each
task run's through client.read_task_run_states, for a flow whose one task
fails once."""


from prefect import flow, task
from prefect.runtime import flow_run

import _sbs

ATTEMPTS = {"n": 0}


@task(retries=1, retry_delay_seconds=0)
def once_flaky() -> int:
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] == 1:
        raise ValueError("once")
    return 7


@task
def plain(x: int) -> int:
    return x + 1


@flow(name="sbs-history")
def historic() -> str:
    plain(once_flaky())
    return flow_run.id


if __name__ == "__main__":
    fr_id = historic()
    with _sbs.client() as c:
        _sbs.emit({"flow_run": _sbs.flow_run(c, fr_id, tasks=2)})
