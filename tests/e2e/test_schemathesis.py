"""Schemathesis (property-based requests generated from an OpenAPI
document) against artifactd, bounded in examples and time:

- with the reference's own `/api/openapi.json`, fetched from a live
  Prefect 3.9.1 server (skipped only with ARTIFACTD_E2E_REFERENCE=0) and cut
  down to the operations artifactd's own document lists; every generated
  request is also sent to that reference, and artifactd must answer it the
  same way (st_hooks.same_answer_as_reference);
- with artifactd's own `/api/openapi.json`, whose answers must be the ones
  it documents.

Either way: no server error, and no failure of the checks listed below.
The checks left out are listed in the README (API coverage) with why.
Set ARTIFACTD_ST_SEED, ARTIFACTD_ST_MAX_EXAMPLES or ARTIFACTD_ST_MAX_TIME
to explore further; the report of each run lands in tests/e2e/output/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib

SEED = os.environ.get("ARTIFACTD_ST_SEED", "1")
MAX_EXAMPLES = os.environ.get("ARTIFACTD_ST_MAX_EXAMPLES", "8")
MAX_TIME = int(os.environ.get("ARTIFACTD_ST_MAX_TIME", "60"))
OUTPUT = lib.HERE / "output"

# Checks that hold on both documents.
COMMON_CHECKS = [
    "not_a_server_error",
    "content_type_conformance",
    "response_headers_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
]
# The reference's document does not describe the reference's own 201s,
# 404s and plain-`detail` 422s, so its status codes and error bodies are
# held to the live reference's answers instead, and its 2xx schemas to
# the document.
REFERENCE_CHECKS = COMMON_CHECKS + ["same_answer_as_reference", "success_matches_response_schema"]
# artifactd's own document describes every status it answers.
OWN_CHECKS = COMMON_CHECKS + ["status_code_conformance", "response_schema_conformance"]


def st_exe() -> str:
    exe = Path(sys.executable).parent / "st"
    return str(exe) if exe.exists() else shutil.which("st") or "st"


def run_schemathesis(name: str, document: dict, api: str, tmp: Path, checks: list, reference: str | None) -> dict:
    """Runs `st run` over `document` against `api`; returns its JSON report."""
    schema = tmp / f"{name}.json"
    schema.write_text(json.dumps(document))
    report = tmp / f"{name}-report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIFACTD_ST_REFERENCE", "SCHEMATHESIS_"))}
    env["SCHEMATHESIS_HOOKS"] = "st_hooks"
    env["PYTHONPATH"] = str(lib.HERE) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    if reference:
        env["ARTIFACTD_ST_REFERENCE"] = reference
    cmd = [
        st_exe(), "run", str(schema), "--url", api,
        "--checks", ",".join(checks),
        "--max-examples", MAX_EXAMPLES, "--max-time", str(MAX_TIME), "--seed", SEED,
        # One worker: the reference then sees the requests in artifactd's order.
        "--workers", "1", "--request-timeout", "10",
        "--report", "json", "--report-json-path", str(report),
    ]
    started = time.time()
    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=MAX_TIME + 240)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"schemathesis-{name}.txt").write_text(" ".join(cmd) + "\n\n" + proc.stdout + proc.stderr)
    assert report.exists(), proc.stdout[-5000:] + proc.stderr[-5000:]
    result = json.loads(report.read_text())
    shutil.copy(report, OUTPUT / f"schemathesis-{name}.json")
    cases = result["test_cases"]
    print(f"schemathesis {name}: {cases['generated']} cases in {time.time() - started:.0f} s, "
          f"{cases['with_failures']} failing, operations {result['operations']['tested']}")
    assert proc.returncode == 0 and not result["failures"] and not result["errors"], (
        f"schemathesis found failures (exit {proc.returncode}):\n" + proc.stdout[-20000:] + proc.stderr[-3000:]
    )
    return result


def own_document(api: str) -> dict:
    r = httpx.get(f"{api}/openapi.json", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def operations(document: dict) -> set:
    return {(m.upper(), p) for p, item in document["paths"].items() for m in item}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A real Prefect 3.9.1 server on a free port over a fresh database."""
    if os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0":
        pytest.skip("ARTIFACTD_E2E_REFERENCE=0 skips the runs against a real `prefect server start`")
    tmp = tmp_path_factory.mktemp("st-reference")
    proc, api, log = lib.start_reference(tmp)
    try:
        yield api
    finally:
        lib.stop_reference(proc, log)


def describe_secrets_as_answered(node) -> None:
    """The reference's document marks its secret settings (`SecretStr`, in
    `GET /admin/settings`) `writeOnly`, so a response may not hold them, yet
    its own answers do (`null`, or `**********` when set): drop the mark."""
    if isinstance(node, dict):
        if node.get("writeOnly") is True and node.get("format") == "password":
            del node["writeOnly"]
        for v in node.values():
            describe_secrets_as_answered(v)
    elif isinstance(node, list):
        for v in node:
            describe_secrets_as_answered(v)


def test_reference_document_against_artifactd(server, reference, tmp_path):
    ours = own_document(server.api)
    theirs = httpx.get(f"{reference}/openapi.json", timeout=30).json()
    served = operations(ours)
    missing = served - operations(theirs)
    assert not missing, f"artifactd documents operations the reference does not have: {sorted(missing)}"
    theirs["paths"] = {
        p: {m: op for m, op in item.items() if (m.upper(), p) in served}
        for p, item in theirs["paths"].items()
        if any((m.upper(), p) in served for m in item)
    }
    describe_secrets_as_answered(theirs)
    result = run_schemathesis("reference-document", theirs, server.api, tmp_path, REFERENCE_CHECKS, reference)
    assert result["operations"]["tested"] == len(served)
    assert "Traceback" not in server.log() and "panicked" not in server.log()


def test_own_document_against_artifactd(tmp_path):
    s = lib.Server(tmp_path)
    try:
        document = own_document(s.api)
        result = run_schemathesis("own-document", document, s.api, tmp_path, OWN_CHECKS, None)
        assert result["operations"]["tested"] == len(operations(document))
        assert "panicked" not in s.log()
    finally:
        s.stop()
