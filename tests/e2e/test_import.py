"""`artifactd import`: a live server's rows become one fixture, and
artifactd serving that fixture answers the artifact filters exactly as the
live server did.

The live server is artifactd itself (the SDK flow run against it), and a
real `prefect server start` (skipped only with ARTIFACTD_E2E_REFERENCE=0)
(Prefect 3.9.1 from this venv, services on, in a temporary PREFECT_HOME).
Also: narrowing by flow and time, paging past 200 rows, auth (bearer and
basic), and the one-line errors that leave no file behind."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib


def run_import(api: str, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ARTIFACTD_"))}
    base["NO_COLOR"] = "1"
    base.update(env or {})
    return subprocess.run(
        [str(lib.artifactd_binary()), "import", "--from", api, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=base,
        timeout=300,
    )


def answers(api: str, result: dict) -> dict:
    """The artifact reads the tests compare, raw (ids and times included)."""
    c = httpx.Client(base_url=api, timeout=30)
    task_run_names = {
        tid: c.get(f"/task_runs/{tid}").json().get("name")
        for tid in (result["flaky_task_run_id"], result["tabulate_task_run_id"])
    }
    out = {}
    for name, body in lib.latest_filter_queries(result, task_run_names).items():
        out[f"latest/filter {name}"] = c.post("/artifacts/latest/filter", json={**body, "sort": "KEY_ASC"}).json()
        out[f"latest/count {name}"] = c.post("/artifacts/latest/count", json=body).json()
        out[f"filter {name}"] = c.post("/artifacts/filter", json={**body, "sort": "CREATED_DESC"}).json()
        out[f"count {name}"] = c.post("/artifacts/count", json=body).json()
    for sort in ("UPDATED_DESC", "CREATED_DESC", "KEY_DESC"):
        out[f"latest/filter sort {sort}"] = c.post("/artifacts/latest/filter", json={"sort": sort}).json()
    keyless = {"artifacts": {"key": {"exists_": False}}}
    out["filter keyless"] = c.post("/artifacts/filter", json={**keyless, "sort": "CREATED_DESC"}).json()
    for row in out["latest/filter all"]:
        out[f"GET {row['key']}/latest"] = c.get(f"/artifacts/{row['key']}/latest").json()
    out["GET progress"] = c.get(f"/artifacts/{result['progress_artifact_id']}").json()
    for resource in ("flows", "flow_runs", "task_runs", "deployments"):
        rows = c.post(f"/{resource}/filter", json={}).json()
        out[f"{resource} ids and names"] = sorted((r["id"], r["name"]) for r in rows)
    for k in ("flow_run_id", "child_flow_run_id"):
        fr = c.get(f"/flow_runs/{result[k]}").json()
        out[f"flow run {k}"] = {f: fr.get(f) for f in ("name", "flow_id", "state_type", "state_name", "tags")}
    return out


def assert_same(live: dict, served: dict) -> None:
    assert live.keys() == served.keys()
    diffs = [k for k in live if live[k] != served[k]]
    assert not diffs, "\n".join(
        f"{k}:\n  live:   {json.dumps(live[k])[:600]}\n  served: {json.dumps(served[k])[:600]}" for k in diffs
    )


def import_and_compare(live_api: str, result: dict, tmp: Path) -> dict:
    out = tmp / "snapshot.json"
    p = run_import(live_api, out)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert doc["format_version"] == 1
    # Elements exactly as the live server answered them.
    live_artifacts = httpx.post(f"{live_api}/artifacts/filter", json={}).json()
    assert sorted(doc["artifacts"], key=lambda a: a["id"]) == sorted(live_artifacts, key=lambda a: a["id"])
    live_latest = httpx.post(f"{live_api}/artifacts/latest/filter", json={}).json()
    assert sorted(doc["artifact_collections"], key=lambda a: a["id"]) == sorted(live_latest, key=lambda a: a["id"])
    served = lib.Server(tmp, ("--fixtures", str(out), "--read-only"))
    try:
        assert_same(answers(live_api, result), answers(served.api, result))
    finally:
        served.stop()
    return doc


# ---------------------------------------------------------------------------
# artifactd as the live server
# ---------------------------------------------------------------------------


def test_import_then_serve_answers_as_the_live_server(server, flow_run, tmp_path):
    doc = import_and_compare(server.api, flow_run.result, tmp_path)
    assert {f["name"] for f in doc["flows"]} == {"e2e-parent", "e2e-child"}
    assert len(doc["task_runs"]) >= 2


def test_narrowed_by_flow_brings_its_runs_and_flow(server, flow_run, tmp_path):
    r = flow_run.result
    out = tmp_path / "child.json"
    p = run_import(server.api, out, "--flow", "e2e-child")
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert {a["key"] for a in doc["artifacts"]} == {"child-md"}
    assert [f["name"] for f in doc["flows"]] == ["e2e-child"]
    assert [fr["id"] for fr in doc["flow_runs"]] == [r["child_flow_run_id"]]
    assert [c["key"] for c in doc["artifact_collections"]] == ["child-md"]

    out = tmp_path / "parent.json"
    p = run_import(server.api, out, "--flow", "e2e-parent", "--flow", "no-such-flow")
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    live = httpx.post(f"{server.api}/artifacts/filter", json={"flows": {"name": {"any_": ["e2e-parent"]}}}).json()
    assert sorted(a["id"] for a in doc["artifacts"]) == sorted(a["id"] for a in live)
    assert {fr["id"] for fr in doc["flow_runs"]} == {r["flow_run_id"]}
    assert {tr["id"] for tr in doc["task_runs"]} >= {r["flaky_task_run_id"], r["tabulate_task_run_id"]}
    served = lib.Server(tmp_path, ("--fixtures", str(out)))
    try:
        body = {"flows": {"name": {"any_": ["e2e-parent"]}}, "sort": "KEY_ASC"}
        assert httpx.post(f"{served.api}/artifacts/latest/filter", json=body).json() == httpx.post(
            f"{server.api}/artifacts/latest/filter", json=body
        ).json()
    finally:
        served.stop()


def test_narrowed_by_time(server, flow_run, tmp_path):
    live = httpx.post(f"{server.api}/artifacts/filter", json={"sort": "CREATED_DESC"}).json()
    cut = live[2]["created"]
    out = tmp_path / "since.json"
    p = run_import(server.api, out, "--since", cut)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert [a["id"] for a in doc["artifacts"]] == [a["id"] for a in live[:3]]
    # Every latest row given points at an imported artifact.
    ids = {a["id"] for a in doc["artifacts"]}
    assert all(c["latest_id"] in ids for c in doc["artifact_collections"])
    p = run_import(server.api, tmp_path / "none.json", "--since", "2999-01-01")
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "none.json").read_text())["artifacts"] == []


def test_pages_past_200_rows(tmp_path):
    live = lib.Server(tmp_path)
    try:
        c = httpx.Client(base_url=live.api, timeout=30)
        keys = set()
        for i in range(450):
            key = f"k-{i % 250}" if i % 3 else None
            keys.add(key)
            r = c.post("/artifacts/", json={"key": key, "type": "markdown", "data": f"v{i}"})
            assert r.status_code == 201, r.text
        out = tmp_path / "big.json"
        p = run_import(live.api, out)
        assert p.returncode == 0, p.stderr
        doc = json.loads(out.read_text())
        assert len({a["id"] for a in doc["artifacts"]}) == len(doc["artifacts"]) == 450
        assert len(doc["artifact_collections"]) == len(keys - {None}) > 200
        served = lib.Server(tmp_path, ("--fixtures", str(out)))
        try:
            for path in ("/artifacts/latest/filter", "/artifacts/filter"):
                for offset in (0, 200, 400):
                    body = {"sort": "KEY_ASC", "offset": offset}
                    assert httpx.post(served.api + path, json=body).json() == c.post(path, json=body).json()
        finally:
            served.stop()
    finally:
        live.stop()


# ---------------------------------------------------------------------------
# Auth and errors
# ---------------------------------------------------------------------------


def test_basic_auth_string(tmp_path):
    live = lib.Server(tmp_path, ("--auth-string", "me:secret"))
    try:
        out = tmp_path / "a.json"
        p = run_import(live.api, out)
        assert p.returncode != 0
        assert "401" in p.stderr and "--auth-string" in p.stderr
        assert len(p.stderr.strip().splitlines()) <= 2, p.stderr
        assert not out.exists()
        p = run_import(live.api, out, "--auth-string", "me:secret")
        assert p.returncode == 0, p.stderr
        out.unlink()
        p = run_import(live.api, out, env={"PREFECT_API_AUTH_STRING": "me:secret"})
        assert p.returncode == 0, p.stderr
        assert json.loads(out.read_text())["format_version"] == 1
    finally:
        live.stop()


class FakeServer:
    """A small HTTP server: `mode` "prefect" answers like an empty Prefect
    server and requires `Authorization: Bearer KEY`; "html" answers every
    request with a web page."""

    def __init__(self, mode: str):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self, status, body, ctype="application/json"):
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                n = int(self.headers.get("content-length") or 0)
                if n:
                    self.rfile.read(n)
                seen.append((self.command, self.path, self.headers.get("authorization")))
                if mode == "html":
                    return self.answer(200, "<html><body>hello</body></html>", "text/html")
                if self.headers.get("authorization") != "Bearer KEY":
                    return self.answer(401, '{"detail":"Unauthorized"}')
                if self.path == "/api/admin/version":
                    return self.answer(200, '"3.9.1"')
                if self.path.endswith("/count"):
                    return self.answer(200, "0")
                if self.path.endswith("/filter"):
                    return self.answer(200, "[]")
                return self.answer(404, '{"detail":"Not Found"}')

            do_GET = do_POST = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_bearer_api_key(tmp_path):
    fake = FakeServer("prefect")
    try:
        out = tmp_path / "cloud.json"
        p = run_import(fake.url, out)
        assert p.returncode != 0 and "401" in p.stderr and "--api-key" in p.stderr, p.stderr
        assert not out.exists()
        p = run_import(fake.url, out, "--api-key", "KEY")
        assert p.returncode == 0, p.stderr
        p = run_import(fake.url, out, env={"PREFECT_API_KEY": "KEY"})
        assert p.returncode == 0, p.stderr
        assert {path for _, path, _ in fake.seen} >= {"/api/artifacts/filter", "/api/artifacts/latest/filter"}
        doc = json.loads(out.read_text())
        assert all(doc[k] == [] for k in ("flows", "flow_runs", "task_runs", "artifacts", "artifact_collections"))
    finally:
        fake.close()


def test_errors_are_one_line_and_leave_nothing(tmp_path):
    out = tmp_path / "keep.json"
    out.write_text('{"keep": true}')

    def check(p, words):
        assert p.returncode != 0
        lines = p.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("artifactd: "), p.stderr
        assert any(w in lines[-1] for w in words), p.stderr
        assert out.read_text() == '{"keep": true}', "the old file is left alone"
        assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.json"], "no temporary file left"

    check(run_import(f"http://127.0.0.1:{lib.free_port()}", out), ["cannot reach"])
    fake = FakeServer("html")
    try:
        check(run_import(fake.url, out), ["not a Prefect"])
    finally:
        fake.close()
    check(run_import("not-a-url", out), ["not an http(s) URL"])
    check(run_import(f"http://127.0.0.1:{lib.free_port()}", out, "--since", "whenever"), ["--since"])


# ---------------------------------------------------------------------------
# A real Prefect 3.9.1 server (skipped with ARTIFACTD_E2E_REFERENCE=0)
# ---------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0",
    reason="ARTIFACTD_E2E_REFERENCE=0 skips the import from a real `prefect server start` (~20 s)",
)
def test_import_from_real_prefect_server(tmp_path):
    # Services on: task runs reach the reference's database only through
    # its task-run recorder.
    proc, api, log = lib.start_reference(tmp_path, services=True)
    try:
        run, result = lib.run_flow(api, tmp_path / "client-home")
        assert run.returncode == 0 and result, run.stdout + run.stderr
        lib.wait_for_task_runs(api, result)
        import_and_compare(api, result, tmp_path)
    finally:
        lib.stop_reference(proc, log)
