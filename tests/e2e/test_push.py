"""`artifactd push`: fixtures/demo.json replayed into a fresh Prefect 3.9.1
reference (`prefect server start`, skipped with ARTIFACTD_E2E_REFERENCE=0),
read back with `artifactd import`, and the snapshot served by artifactd
answers the artifact and run filters as artifactd serving the original
fixture does, modulo ids and server-set times. Also: a row the reference
refuses stops the push naming it and what went in before, wrong
credentials and an unreachable server fail with one line, quickly, and a
bad fixture fails as `seed` fails, before anything is sent."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib

DEMO = lib.REPO / "fixtures" / "demo.json"
REFERENCE = pytest.mark.skipif(
    os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0",
    reason="ARTIFACTD_E2E_REFERENCE=0 skips pushing into a real `prefect server start`",
)


def artifactd(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ARTIFACTD_"))}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(lib.artifactd_binary()), *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("push-reference")
    proc, api, log = lib.start_reference(tmp)
    yield api
    lib.stop_reference(proc, log)


@pytest.fixture(scope="module")
def auth_reference(tmp_path_factory):
    """A second reference, with an auth string, on a port of its own."""
    tmp = tmp_path_factory.mktemp("push-auth-reference")
    proc, api, log = lib.start_reference(
        tmp, port=lib.free_port(), extra_env={"PREFECT_SERVER_API_AUTH_STRING": "admin:s3cret"}
    )
    yield api
    lib.stop_reference(proc, log)


def answers(api: str) -> dict:
    """The reads compared, with ids turned into names and server-set times
    dropped, so a pushed copy answers as the original does."""
    c = httpx.Client(base_url=api, timeout=30)
    flow_runs = c.post("/flow_runs/filter", json={}).json()
    task_runs = c.post("/task_runs/filter", json={}).json()
    run_name = {r["id"]: r["name"] for r in flow_runs}
    task_name = {r["id"]: r["name"] for r in task_runs}

    def art(row: dict) -> dict:
        return {
            **{f: row.get(f) for f in ("key", "type", "description", "data", "metadata_")},
            "flow_run": run_name.get(row.get("flow_run_id"), row.get("flow_run_id")),
            "task_run": task_name.get(row.get("task_run_id"), row.get("task_run_id")),
        }

    names = sorted({r["name"] for r in flow_runs})
    keys = sorted({r["key"] for r in c.post("/artifacts/latest/filter", json={}).json()})
    assert len(names) >= 3 and len(keys) >= 3, "the demo fixture should have runs and keys"
    filters = {
        "all": {},
        "key any": {"artifacts": {"key": {"any_": keys[:2]}}},
        "key like": {"artifacts": {"key": {"like_": keys[0][:4]}}},
        "type table": {"artifacts": {"type": {"any_": ["table"]}}},
        "type not result": {"artifacts": {"type": {"not_any_": ["result"]}}},
        "flow run names": {"flow_runs": {"name": {"any_": names[:3]}}},
        "flow run completed": {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
    }
    out = {}
    for name, body in filters.items():
        for sort in ("KEY_ASC", "KEY_DESC"):
            out[f"latest/filter {name} {sort}"] = [art(r) for r in c.post("/artifacts/latest/filter", json={**body, "sort": sort}).json()]
        out[f"latest/count {name}"] = c.post("/artifacts/latest/count", json=body).json()
        rows = [art(r) for r in c.post("/artifacts/filter", json={**body, "sort": "CREATED_DESC"}).json()]
        out[f"filter {name} CREATED_DESC"] = rows
        # Rows of one key tie on KEY_ASC and then go by id, which the
        # server chose: the order of keys, and each key's rows as a set.
        rows = [art(r) for r in c.post("/artifacts/filter", json={**body, "sort": "KEY_ASC"}).json()]
        out[f"filter {name} KEY_ASC keys"] = [r["key"] for r in rows]
        out[f"filter {name} KEY_ASC rows"] = sorted(json.dumps(r, sort_keys=True) for r in rows)
        out[f"count {name}"] = c.post("/artifacts/count", json=body).json()
    out["filter page 2"] = [art(r) for r in c.post("/artifacts/filter", json={"sort": "CREATED_DESC", "limit": 5, "offset": 5}).json()]
    for key in keys:
        out[f"GET {key}/latest"] = art(c.get(f"/artifacts/{key}/latest").json())

    def runs(rows: list) -> list:
        return sorted((r["name"], r["state_type"], r["state_name"], sorted(r.get("tags") or [])) for r in rows)

    out["flow runs"] = runs(flow_runs)
    out["task runs"] = sorted(
        (r["name"], run_name.get(r["flow_run_id"]), r["state_type"], r["state_name"]) for r in task_runs
    )
    for state in ("COMPLETED", "FAILED", "SCHEDULED", "RUNNING"):
        body = {"flow_runs": {"state": {"type": {"any_": [state]}}}}
        out[f"flow runs {state}"] = runs(c.post("/flow_runs/filter", json=body).json())
        out[f"flow runs {state} count"] = c.post("/flow_runs/count", json=body).json()
    body = {"flow_runs": {"name": {"any_": names[:2]}}}
    out["flow runs by name"] = runs(c.post("/flow_runs/filter", json=body).json())
    out["subflow parents"] = sorted(
        (r["name"], task_name.get(r["parent_task_run_id"])) for r in flow_runs if r.get("parent_task_run_id")
    )
    # A parent task run names its subflow's run, which was pushed after it.
    out["subflow children"] = sorted(
        (r["name"], run_name.get(r["state"]["state_details"].get("child_flow_run_id")))
        for r in task_runs
        if (r.get("state") or {}).get("state_details", {}).get("child_flow_run_id")
    )
    assert out["subflow children"], "the demo fixture should have subflows"
    out["flows"] = sorted(r["name"] for r in c.post("/flows/filter", json={}).json())
    out["deployments"] = sorted(
        (d["name"], d.get("version"), sorted(d.get("tags") or [])) for d in c.post("/deployments/filter", json={}).json()
    )
    return out


@REFERENCE
def test_push_demo_then_import_answers_the_same(reference, tmp_path):
    demo = json.loads(DEMO.read_text())
    started = time.monotonic()
    p = artifactd("push", "--to", reference.removesuffix("/api"), str(DEMO))
    took = time.monotonic() - started
    assert p.returncode == 0, p.stderr
    counts = {k: len(demo.get(k, [])) for k in ("flows", "deployments", "flow_runs", "task_runs", "artifacts")}
    summary = (
        f"pushed {counts['flows']} flows, {counts['deployments']} deployments, {counts['flow_runs']} flow runs, "
        f"{counts['task_runs']} task runs, {counts['artifacts']} artifacts to {reference}"
    )
    assert summary in p.stderr, p.stderr
    print(f"pushed demo.json ({sum(counts.values())} rows) in {took:.1f}s")

    snapshot = tmp_path / "snapshot.json"
    p = artifactd("import", "--from", reference, "--out", str(snapshot), "--quiet")
    assert p.returncode == 0, p.stderr
    snap = json.loads(snapshot.read_text())
    for k, n in counts.items():
        assert len(snap[k]) == n, k
    # Flow runs get the server's ids; task runs keep the fixture's.
    assert not {r["id"] for r in snap["flow_runs"]} & {r["id"] for r in demo["flow_runs"]}
    assert {r["id"] for r in snap["task_runs"]} == {r["id"] for r in demo["task_runs"]}

    original = lib.Server(tmp_path, ("--fixtures", str(DEMO)))
    copy = lib.Server(tmp_path, ("--fixtures", str(snapshot)))
    try:
        want, got = answers(original.api), answers(copy.api)
    finally:
        original.stop()
        copy.stop()
    assert want.keys() == got.keys()
    diffs = [k for k in want if want[k] != got[k]]
    assert not diffs, "\n".join(
        f"{k}:\n  fixture: {json.dumps(want[k])[:600]}\n  pushed:  {json.dumps(got[k])[:600]}" for k in diffs
    )


ORPHAN_FIXTURE = {
    "flows": [{"id": "00000000-0000-4000-8000-0000000000f1", "name": "push-refusal"}],
    "flow_runs": [
        {
            "id": "00000000-0000-4000-8000-000000000011",
            "created": "2026-01-01T00:00:00Z",
            "name": "run-ok",
            "flow_id": "00000000-0000-4000-8000-0000000000f1",
        },
        # The loader does not enforce references; the reference's foreign
        # key refuses a flow run of a flow it does not have (409).
        {
            "id": "00000000-0000-4000-8000-000000000012",
            "created": "2026-01-01T00:00:01Z",
            "name": "run-orphan",
            "flow_id": "00000000-0000-4000-8000-0000000000ff",
        },
    ],
}


@REFERENCE
def test_refused_row_stops_the_push_naming_it(auth_reference, tmp_path):
    fixture = tmp_path / "orphan.json"
    fixture.write_text(json.dumps(ORPHAN_FIXTURE))
    assert artifactd("seed", "--db", str(tmp_path / "check.db"), str(fixture)).returncode == 0
    p = artifactd("push", "--to", auth_reference, "--auth-string", "admin:s3cret", str(fixture))
    assert p.returncode == 1, p.stderr
    assert "the server refused flow run 00000000-0000-4000-8000-000000000012 (name \"run-orphan\")" in p.stderr
    assert "answered 409" in p.stderr and "foreign key" in p.stderr, p.stderr
    assert "pushed 1 flow, 1 of 2 flow runs before the refusal" in p.stderr, p.stderr
    # What went in before the refusal is there; nothing after it.
    c = httpx.Client(base_url=auth_reference, auth=("admin", "s3cret"), timeout=30)
    names = [r["name"] for r in c.post("/flow_runs/filter", json={}).json()]
    assert names == ["run-ok"]


def run(rid: str, name: str, created: str, state: str, **refs) -> dict:
    return {"id": rid, "created": created, "name": name, **refs, "state": {"type": state.upper(), "name": state}}


SUBFLOW_FIXTURE = {
    "flows": [{"id": "00000000-0000-4000-8000-0000000000f2", "name": "push-subflow"}],
    "flow_runs": [
        run("00000000-0000-4000-8000-000000000021", "parent", "2026-01-01T00:00:00Z", "Completed",
            flow_id="00000000-0000-4000-8000-0000000000f2"),
        run("00000000-0000-4000-8000-000000000022", "child", "2026-01-01T00:00:02Z", "Failed",
            flow_id="00000000-0000-4000-8000-0000000000f2",
            parent_task_run_id="00000000-0000-4000-8000-000000000031"),
    ],
    "task_runs": [
        {**run("00000000-0000-4000-8000-000000000031", "child-task", "2026-01-01T00:00:01Z", "Completed",
               flow_run_id="00000000-0000-4000-8000-000000000021"),
         "task_key": "child-task", "dynamic_key": "0"},
    ],
}


@REFERENCE
def test_a_parent_task_run_keeps_its_own_state(auth_reference, tmp_path):
    """The reference copies a subflow run's state onto its parent task run
    whenever the subflow's state is set; the push gives it its own back."""
    fixture = tmp_path / "subflow.json"
    fixture.write_text(json.dumps(SUBFLOW_FIXTURE))
    p = artifactd("push", "--to", auth_reference, "--auth-string", "admin:s3cret", str(fixture))
    assert p.returncode == 0, p.stderr
    c = httpx.Client(base_url=auth_reference, auth=("admin", "s3cret"), timeout=30)
    task = c.get("/task_runs/00000000-0000-4000-8000-000000000031").json()
    assert (task["state_type"], task["state_name"]) == ("COMPLETED", "Completed")
    runs = {r["name"]: r for r in c.post("/flow_runs/filter", json={"flows": {"name": {"any_": ["push-subflow"]}}}).json()}
    assert (runs["child"]["state_type"], runs["child"]["parent_task_run_id"]) == ("FAILED", task["id"])
    assert task["flow_run_id"] == runs["parent"]["id"]


@REFERENCE
def test_wrong_credentials_fail_with_one_line(auth_reference):
    for extra in ((), ("--auth-string", "admin:wrong")):
        p = artifactd("push", "--to", auth_reference, *extra, str(DEMO), timeout=60)
        assert p.returncode == 1
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "answered 401 Unauthorized" in lines[0] and "--auth-string" in lines[0], p.stderr
    c = httpx.Client(base_url=auth_reference, auth=("admin", "s3cret"), timeout=30)
    assert c.post("/artifacts/count", json={}).json() == 0


def test_unreachable_server_fails_quickly():
    port = lib.free_port()  # nothing listens there
    started = time.monotonic()
    p = artifactd("push", "--to", f"http://127.0.0.1:{port}", str(DEMO), timeout=60)
    assert time.monotonic() - started < 15
    assert p.returncode == 1
    assert p.stderr.strip() == f"artifactd: cannot reach http://127.0.0.1:{port}/api: Connection refused (os error 111)"
    p = artifactd("push", "--to", "127.0.0.1:4200", str(DEMO), timeout=60)
    assert p.returncode == 1
    assert p.stderr.strip() == 'artifactd: --to "127.0.0.1:4200" is not an http(s) URL'


def test_bad_fixture_fails_as_seed_does_before_sending(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"artifact": []}))
    seeded = artifactd("seed", "--db", str(tmp_path / "x.db"), str(bad))
    # An unreachable URL: the fixture error comes first, nothing is sent.
    p = artifactd("push", "--to", f"http://127.0.0.1:{lib.free_port()}", str(bad), timeout=60)
    assert seeded.returncode == p.returncode == 1
    assert p.stderr.strip() == seeded.stderr.strip()
    assert 'unknown top-level key "artifact"' in p.stderr
