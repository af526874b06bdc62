"""Prefect 3.9.1's own SDK against artifactd: a flow with a subflow, a task
that fails once and is retried, and every artifact kind, must complete
cleanly, and the artifacts must then be found by the related-resource
filters of `/api/artifacts/latest/filter`.

`reference/answers.json` holds what a real Prefect 3.9.1 server (services
on, so its task-run recorder ran) answered to the same queries after the
same flow, recorded by tools/compare_reference.py --record."""

from __future__ import annotations

import json
import re

import httpx
import pytest

import e2e_lib as lib

REFERENCE = json.loads((lib.HERE / "reference" / "answers.json").read_text())

# Client log lines that mean the server let the SDK down.
BAD_OUTPUT = re.compile(
    r"\| (WARNING|ERROR|CRITICAL) |Traceback|Unable to|Failed to|Crash|EventsWorker|websocket|"
    r"HTTP/1\.1 [45]\d\d|status code [45]\d\d|Not Found|Method Not Allowed",
    re.IGNORECASE,
)


def latest(server, body: dict) -> list[dict]:
    r = httpx.post(f"{server.api}/artifacts/latest/filter", json={**body, "sort": "KEY_ASC"})
    assert r.status_code == 200, r.text
    return r.json()


def keys(rows: list[dict]) -> list[str]:
    return [r["key"] for r in rows]


def test_the_flow_completes_without_warnings(flow_run):
    out = flow_run.output
    name = flow_run.result["flow_run_name"]
    assert f"Flow run '{name}' - Finished in state Completed()" in out, out
    assert "Beginning subflow run" in out, out
    assert "Task run failed with exception: ValueError('first try fails') - Retry 1/2 will start immediately" in out
    # The parent flow, the subflow and the two tasks.
    assert len(re.findall(r"Finished in state Completed\(\)", out)) == 4, out
    bad = [line for line in out.splitlines() if BAD_OUTPUT.search(line)]
    assert not bad, "\n".join(bad)


def test_the_server_saw_nothing_it_does_not_serve(server, flow_run):
    log = server.log()
    for what in ("unsupported endpoint", "panicked", " ERROR ", " WARN "):
        assert what not in log, log


def test_flow_runs_are_completed(server, flow_run):
    res = flow_run.result
    parent = httpx.get(f"{server.api}/flow_runs/{res['flow_run_id']}").json()
    child = httpx.get(f"{server.api}/flow_runs/{res['child_flow_run_id']}").json()
    assert (parent["state_type"], parent["state_name"], parent["name"]) == (
        "COMPLETED", "Completed", res["flow_run_name"],
    )
    assert (child["state_type"], child["state"]["type"]) == ("COMPLETED", "COMPLETED")
    assert child["parent_task_run_id"]


def test_task_runs_are_recorded_from_the_event_stream(server, flow_run):
    res = flow_run.result
    flaky = httpx.get(f"{server.api}/task_runs/{res['flaky_task_run_id']}").json()
    assert flaky["state_type"] == "COMPLETED"
    assert flaky["state"]["name"] == "Completed"
    assert flaky["run_count"] == 2, "the failed first attempt and the retry"
    assert flaky["flow_run_id"] == res["flow_run_id"]
    assert flaky["state"]["state_details"]["task_run_id"] == res["flaky_task_run_id"]
    assert sorted(flaky["tags"]) == ["e2e", "flaky"]
    assert flaky["empirical_policy"]["retries"] == 2
    assert flaky["name"].startswith("flaky-")
    assert flaky["start_time"] and flaky["end_time"] and flaky["total_run_time"] > 0
    tab = httpx.get(f"{server.api}/task_runs/{res['tabulate_task_run_id']}").json()
    assert tab["task_inputs"] == {"upstream": [{"input_type": "task_run", "id": res["flaky_task_run_id"]}]}
    rows = httpx.post(
        f"{server.api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [res["flow_run_id"]]}}}
    ).json()
    # The two tasks, and the task run standing for the subflow in its parent.
    names = sorted(r["name"] for r in rows)
    assert names[0] == "e2e-child-0" and names[1].startswith("flaky-") and names[2].startswith("tabulate-"), names


def test_latest_artifacts_by_flow_name(server, flow_run):
    assert keys(latest(server, {"flows": {"name": {"any_": ["e2e-parent"]}}})) == [
        "flaky-md", "img", "lnk", "prog", "report", "tbl",
    ]
    assert keys(latest(server, {"flows": {"name": {"any_": ["e2e-child"]}}})) == ["child-md"]


def test_latest_artifacts_by_flow_run_state_and_name(server, flow_run):
    every = ["child-md", "flaky-md", "img", "lnk", "prog", "report", "tbl"]
    assert keys(latest(server, {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}})) == every
    assert keys(latest(server, {"flow_runs": {"state": {"name": {"any_": ["Completed"]}}}})) == every
    assert latest(server, {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}) == []
    by_name = {"flow_runs": {"name": {"any_": [flow_run.result["flow_run_name"]]}}}
    assert keys(latest(server, by_name)) == ["flaky-md", "img", "lnk", "prog", "report", "tbl"]


def test_latest_artifacts_by_task_run_id_and_name(server, flow_run):
    res = flow_run.result
    rows = latest(server, {"task_runs": {"id": {"any_": [res["flaky_task_run_id"]]}}})
    assert keys(rows) == ["flaky-md"]
    assert rows[0]["task_run_id"] == res["flaky_task_run_id"]
    name = httpx.get(f"{server.api}/task_runs/{res['tabulate_task_run_id']}").json()["name"]
    assert keys(latest(server, {"task_runs": {"name": {"any_": [name]}}})) == ["img", "lnk", "tbl"]


def test_latest_artifacts_by_tags(server, flow_run):
    assert keys(latest(server, {"task_runs": {"tags": {"all_": ["flaky"]}}})) == ["flaky-md"]
    assert keys(latest(server, {"task_runs": {"tags": {"all_": ["e2e"]}}})) == ["flaky-md", "img", "lnk", "tbl"]
    assert len(latest(server, {"flow_runs": {"tags": {"all_": ["e2e"]}}})) == 7
    assert latest(server, {"flow_runs": {"tags": {"all_": ["nope"]}}}) == []


def test_progress_artifact_was_updated(server, flow_run):
    prog = httpx.get(f"{server.api}/artifacts/{flow_run.result['progress_artifact_id']}").json()
    assert (prog["type"], prog["data"]) == ("progress", 100)


@pytest.mark.parametrize("query", sorted(REFERENCE))
def test_answer_is_the_reference_answer(answers, query):
    got, _names = answers
    assert got[query] == REFERENCE[query]
