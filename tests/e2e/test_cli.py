"""`prefect artifact ls | inspect | delete` against artifactd, after one run
of the SDK flow. The expected outputs in `reference/cli.json` were recorded
from a real Prefect 3.9.1 server by tools/compare_reference.py --record,
normalized by `e2e_lib.normalize_cli` (ids and timestamps replaced, the
"Updated" age column cut off). The steps run in order: later ones see the
deletions of earlier ones."""

from __future__ import annotations

import json

import httpx
import pytest

import e2e_lib as lib

REFERENCE = json.loads((lib.HERE / "reference" / "cli.json").read_text())
STEPS = {label: (args, stdin) for label, args, stdin in lib.CLI_SCRIPT}


@pytest.fixture(scope="module")
def run_step(server, prefect_home, flow_run):
    def run(label: str):
        args, stdin = STEPS[label]
        return lib.run_cli_step(server.api, prefect_home, flow_run.result, args, stdin)

    return run


def latest_ids(server) -> dict:
    rows = httpx.post(f"{server.api}/artifacts/latest/filter", json={"sort": "KEY_ASC"}).json()
    return {r["key"]: r["latest_id"] for r in rows}


def all_ids(server) -> list:
    rows = httpx.post(f"{server.api}/artifacts/filter", json={"sort": "KEY_ASC"}).json()
    return sorted(r["id"] for r in rows)


def test_ls(server, run_step):
    proc, out = run_step("ls")
    assert out == REFERENCE["ls"], proc.stdout + proc.stderr
    shown = {row[1]: row[0] for row in lib.table_rows(proc.stdout)}
    assert shown == latest_ids(server)


def test_ls_all(server, run_step):
    proc, out = run_step("ls --all")
    assert out == REFERENCE["ls --all"], proc.stdout + proc.stderr
    assert sorted(row[0] for row in lib.table_rows(proc.stdout)) == all_ids(server)


def test_ls_limit(run_step):
    proc, out = run_step("ls --limit 2")
    assert out == REFERENCE["ls --limit 2"], proc.stdout + proc.stderr


def test_ls_json(server, run_step):
    proc, out = run_step("ls -o json")
    assert out == REFERENCE["ls -o json"], proc.stdout + proc.stderr
    assert [r["key"] for r in json.loads(proc.stdout)] == sorted(latest_ids(server))


def test_inspect(run_step):
    proc, out = run_step("inspect report")
    assert out == REFERENCE["inspect report"], proc.stdout + proc.stderr
    assert "'data': 'report v2'" in proc.stdout and "'data': 'report v1'" in proc.stdout


def test_inspect_unknown_key(run_step):
    proc, out = run_step("inspect nope")
    assert out == REFERENCE["inspect nope"]
    assert proc.returncode == 1


@pytest.mark.parametrize("label", ["delete nope", "delete --id unknown"])
def test_delete_unknown(run_step, label):
    proc, out = run_step(label)
    assert out == REFERENCE[label]
    assert proc.returncode == 1


def test_delete_by_key(server, run_step):
    # Without a terminal the CLI does not prompt (as with `--no-prompt`).
    proc, out = run_step("delete report")
    assert out == REFERENCE["delete report"] == "exit 0\nDeleted 2 artifact(s) with key 'report'."
    assert "report" not in latest_ids(server)
    assert httpx.post(f"{server.api}/artifacts/count", json={"artifacts": {"key": {"any_": ["report"]}}}).json() == 0


def test_delete_by_id(server, run_step, flow_run):
    proc, out = run_step("delete --id progress")
    assert out == REFERENCE["delete --id progress"], proc.stdout + proc.stderr
    r = httpx.get(f"{server.api}/artifacts/{flow_run.result['progress_artifact_id']}")
    assert r.status_code == 404
    assert "prog" not in latest_ids(server)


def test_delete_prompt_declined(server, run_step):
    proc, out = run_step("--prompt delete img, answer n")
    assert out == REFERENCE["--prompt delete img, answer n"], proc.stdout + proc.stderr
    assert "img" in latest_ids(server)


def test_delete_prompt_confirmed(server, run_step):
    proc, out = run_step("--prompt delete tbl, answer y")
    assert out == REFERENCE["--prompt delete tbl, answer y"], proc.stdout + proc.stderr
    assert "tbl" not in latest_ids(server)


def test_ls_all_after_deletes(run_step):
    proc, out = run_step("ls --all after deletes")
    assert out == REFERENCE["ls --all after deletes"], proc.stdout + proc.stderr
    assert [row[1] for row in lib.table_rows(proc.stdout)] == ["child-md", "flaky-md", "img", "lnk"]
