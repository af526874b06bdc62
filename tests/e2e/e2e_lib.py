"""Shared by the end-to-end tests and tools/compare_reference.py: starting
artifactd, running the SDK flow and the `prefect` CLI against a server, and
the queries the tests make, normalized so that two servers' answers can be
compared (ids, timestamps and generated run names replaced by stable
names)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent

# Chromium as root on this closed network: without the background-network
# flags it hangs trying to reach Google's hosts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = HERE.parent.parent
FLOW = HERE / "flows" / "artifact_flow.py"
FLOW_TIMEOUT = 180

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_KEYS = {"created", "updated"}


def free_port() -> int:
    """A free port: the first free one of `ARTIFACTD_E2E_PORTS` (`LOW-HIGH`,
    for machines where each developer has a range), else any."""
    span = os.environ.get("ARTIFACTD_E2E_PORTS", "")
    if "-" in span:
        low, high = (int(x) for x in span.split("-", 1))
        for port in range(low, high + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in ARTIFACTD_E2E_PORTS={span}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def artifactd_binary() -> Path:
    exe = os.environ.get("ARTIFACTD_BIN")
    if exe:
        return Path(exe)
    return REPO / "target" / "debug" / "artifactd"


class Server:
    """artifactd on a free port over a throwaway database; its log (stderr)
    is kept so tests can check what the server saw."""

    def __init__(self, log_dir: Path, extra_args: tuple = (), port: int | None = None):
        exe = artifactd_binary()
        if not exe.exists():
            raise RuntimeError(f"{exe} does not exist: run `cargo build` first")
        self.port = port or free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.log_path = log_dir / f"artifactd-{self.port}.log"
        self._log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTD_")}
        env["RUST_LOG"] = "info"
        env["NO_COLOR"] = "1"
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--db", ":memory:", "--port", str(self.port), *extra_args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"artifactd exited at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.api}/health", timeout=1).json() is True:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError(f"artifactd did not answer /api/health:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()



def start_reference(tmp: Path, services: bool = False, port: int | None = None, extra_env: dict | None = None):
    """`prefect server start` (this venv's Prefect 3.9.1) on `port`, else
    `$ARTIFACTD_E2E_REFERENCE_PORT` (for machines where each developer has
    a port range), else a free one, over a fresh PREFECT_HOME in `tmp`;
    returns (process, api URL, log). Services are off unless asked for: the
    API answers the same without. `extra_env` adds server settings (e.g.
    PREFECT_SERVER_API_AUTH_STRING)."""
    home = tmp / "prefect-home"
    home.mkdir(exist_ok=True)
    port = port or int(os.environ.get("ARTIFACTD_E2E_REFERENCE_PORT") or 0) or free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = prefect_env(api, home)
    del env["PREFECT_API_URL"]
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"})
    env.update(extra_env or {})
    log = open(tmp / "prefect-server.log", "wb")
    args = [prefect_exe(), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if not services:
        args.append("--no-services")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 120
    while True:
        if proc.poll() is not None:
            log.close()
            raise RuntimeError((tmp / "prefect-server.log").read_text(errors="replace"))
        try:
            if httpx.get(f"{api}/health", timeout=1).json() is True:
                return proc, api, log
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            stop_reference(proc, log)
            raise RuntimeError("prefect server did not start")
        time.sleep(0.3)


def stop_reference(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()

def prefect_env(api_url: str, home: Path) -> dict:
    """A clean Prefect client environment pointed at `api_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(home),
            "PREFECT_PROFILES_PATH": str(home / "profiles.toml"),
            "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
            "PREFECT_CLI_COLORS": "false",
            "PREFECT_LOGGING_COLORS": "false",
            "PREFECT_CLI_WRAP_LINES": "false",
            "NO_COLOR": "1",
            "COLUMNS": "120",
            "LINES": "50",
            "TERM": "dumb",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def prefect_exe() -> str:
    exe = Path(sys.executable).parent / "prefect"
    return str(exe) if exe.exists() else shutil.which("prefect") or "prefect"


def run_flow(api_url: str, home: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Runs the SDK flow; returns the process and its `E2E-RESULT`."""
    proc = subprocess.run(
        [sys.executable, str(FLOW)],
        env=prefect_env(api_url, home),
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT,
    )
    result = {}
    for line in proc.stdout.splitlines():
        if line.startswith("E2E-RESULT "):
            result = json.loads(line[len("E2E-RESULT ") :])
    return proc, result


def cli(api_url: str, home: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [prefect_exe(), *args],
        env=prefect_env(api_url, home),
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


# ---------------------------------------------------------------------------
# Normalizing answers
# ---------------------------------------------------------------------------


def names_for(result: dict, task_run_names: dict) -> dict:
    """Stable names for the ids and generated names of one flow run."""
    names = {
        result["flow_run_id"]: "<parent flow run>",
        result["child_flow_run_id"]: "<child flow run>",
        result["flaky_task_run_id"]: "<flaky task run>",
        result["tabulate_task_run_id"]: "<tabulate task run>",
        result["flow_run_name"]: "<parent flow run name>",
    }
    for tid, name in task_run_names.items():
        names[name] = f"<{names.get(tid, tid)} name>"
    return names


def normalize(value, names: dict):
    """Replaces known ids and names by stable names, other UUIDs by `<id>`,
    and `created`/`updated` by `<time>`."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in TIME_KEYS and v is not None:
                out[k] = "<time>"
            elif k == "tags" and isinstance(v, list):
                # The client builds a task run's tags from a set: their order
                # changes from one Python process to the next.
                out[k] = sorted(normalize(v, names))
            else:
                out[k] = normalize(v, names)
        return out
    if isinstance(value, list):
        return [normalize(v, names) for v in value]
    if isinstance(value, str):
        if value in names:
            return names[value]
        return UUID_RE.sub(lambda m: names.get(m.group(0), "<id>"), value)
    return value


def latest_filter_queries(result: dict, task_run_names: dict) -> dict:
    """The `/api/artifacts/latest/filter` bodies the tests ask, by name."""
    tabulate_name = task_run_names[result["tabulate_task_run_id"]]
    return {
        "all": {},
        "flow name parent": {"flows": {"name": {"any_": ["e2e-parent"]}}},
        "flow name child": {"flows": {"name": {"any_": ["e2e-child"]}}},
        "flow name like": {"flows": {"name": {"like_": "e2e"}}},
        "flow run state type COMPLETED": {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
        "flow run state type FAILED": {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}},
        "flow run state name Completed": {"flow_runs": {"state": {"name": {"any_": ["Completed"]}}}},
        "flow run name": {"flow_runs": {"name": {"any_": [result["flow_run_name"]]}}},
        "flow run id child": {"flow_runs": {"id": {"any_": [result["child_flow_run_id"]]}}},
        "flow run tags e2e": {"flow_runs": {"tags": {"all_": ["e2e"]}}},
        "flow run tags missing": {"flow_runs": {"tags": {"all_": ["nope"]}}},
        "task run id flaky": {"task_runs": {"id": {"any_": [result["flaky_task_run_id"]]}}},
        "task run name tabulate": {"task_runs": {"name": {"any_": [tabulate_name]}}},
        "task run state type COMPLETED": {"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
        "task run tags flaky": {"task_runs": {"tags": {"all_": ["flaky"]}}},
        "task run tags e2e": {"task_runs": {"tags": {"all_": ["e2e"]}}},
        "task run start_time set": {"task_runs": {"start_time": {"is_null_": False}}},
        "flow and task run": {
            "flows": {"name": {"any_": ["e2e-parent"]}},
            "task_runs": {"id": {"any_": [result["tabulate_task_run_id"]]}},
        },
    }


def query_api(api_url: str, result: dict) -> dict:
    """Every answer the tests check, normalized: the runs, then latest
    artifacts per filter (sorted by key), artifacts and counts."""
    c = httpx.Client(base_url=api_url, timeout=30)
    out = {}
    task_runs = {}
    for k in ("flaky_task_run_id", "tabulate_task_run_id"):
        r = c.get(f"/task_runs/{result[k]}")
        task_runs[result[k]] = r.json() if r.status_code == 200 else {"status": r.status_code}
    task_run_names = {tid: tr.get("name") for tid, tr in task_runs.items()}
    names = names_for(result, task_run_names)
    child = c.get(f"/flow_runs/{result['child_flow_run_id']}").json()
    names[child.get("name")] = "<child flow run name>"
    for k in ("flow_run_id", "child_flow_run_id"):
        fr = c.get(f"/flow_runs/{result[k]}").json()
        out[f"GET flow run {k}"] = normalize({
            f: fr.get(f)
            for f in ("name", "state_type", "state_name", "tags", "parent_task_run_id", "run_count")
        }, names) | {"state": normalize({k2: fr["state"].get(k2) for k2 in ("type", "name")}, names)}
    for tid, tr in task_runs.items():
        out[f"GET task run {names[tid]}"] = normalize({
            f: tr.get(f)
            for f in (
                "name", "flow_run_id", "state_type", "state_name", "run_count", "tags", "empirical_policy",
                "task_inputs", "flow_run_run_count", "labels", "cache_key", "task_version",
            )
        }, names) | {
            "state": normalize(
                {k2: tr.get("state", {}).get(k2) for k2 in ("type", "name", "message", "data", "state_details")},
                names,
            )
        }
    for name, body in latest_filter_queries(result, task_run_names).items():
        rows = c.post("/artifacts/latest/filter", json={**body, "sort": "KEY_ASC"}).json()
        out[f"latest/filter {name}"] = normalize(rows, names)
        out[f"latest/count {name}"] = c.post("/artifacts/latest/count", json=body).json()
        out[f"count {name}"] = c.post("/artifacts/count", json=body).json()
    out["filter key report"] = normalize(
        c.post("/artifacts/filter", json={"artifacts": {"key": {"any_": ["report"]}}, "sort": "CREATED_DESC"}).json(),
        names,
    )
    prog = c.get(f"/artifacts/{result['progress_artifact_id']}").json()
    out["GET progress artifact"] = normalize(prog, names)
    return out, names


def wait_for_task_runs(api_url: str, result: dict, timeout: float = 30) -> None:
    """The reference records task runs from events in a background service;
    wait until both task runs are there in their final state."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ok = True
        for k in ("flaky_task_run_id", "tabulate_task_run_id"):
            r = httpx.get(f"{api_url}/task_runs/{result[k]}")
            if r.status_code != 200 or r.json().get("state_type") != "COMPLETED":
                ok = False
        if ok:
            return
        time.sleep(0.5)


# ---------------------------------------------------------------------------
# CLI output
# ---------------------------------------------------------------------------

TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
TABLE_EDGES = "┏┃┡│└"
TABLE_SEPARATORS = "┳┃╇│┴"


def table_rows(text: str) -> list[list[str]]:
    """The body rows of a rich table, as lists of stripped cells."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("│") and line.endswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


def normalize_cli(text: str, names: dict | None = None) -> str:
    """CLI output with ids replaced by same-width placeholders, timestamps
    by `<time>`, and the last column of a table (`prefect artifact ls`'s
    "Updated", a human-friendly age whose width sets the table's) cut off,
    so that the layout of the other columns compares exactly. Lines are
    stripped (titles are centred over the whole table)."""
    out = []
    for line in text.splitlines():
        line = UUID_RE.sub(lambda m: "x" * 8 + "-xxxx-xxxx-xxxx-" + "x" * 12, line)
        line = TIMESTAMP_RE.sub("<time>", line)
        line = line.strip()
        if line[:1] in TABLE_EDGES and len(line) > 2:
            cut = max(line.rfind(c, 0, len(line) - 1) for c in TABLE_SEPARATORS)
            if cut > 0:
                line = line[: cut + 1]
        out.append(line)
    return "\n".join(out).strip("\n")


# The CLI commands the tests run, in order, after one run of the flow:
# (label, arguments, stdin). `<progress>` is replaced by the progress
# artifact's id.
CLI_SCRIPT = [
    ("ls", ["artifact", "ls"], None),
    ("ls --all", ["artifact", "ls", "--all"], None),
    ("ls --limit 2", ["artifact", "ls", "--limit", "2"], None),
    ("ls -o json", ["artifact", "ls", "-o", "json"], None),
    ("inspect report", ["artifact", "inspect", "report"], None),
    ("inspect nope", ["artifact", "inspect", "nope"], None),
    ("delete nope", ["artifact", "delete", "nope"], None),
    ("delete --id unknown", ["artifact", "delete", "--id", "00000000-0000-0000-0000-000000000000"], None),
    ("delete report", ["artifact", "delete", "report"], None),
    ("delete --id progress", ["artifact", "delete", "--id", "<progress>"], None),
    ("--prompt delete img, answer n", ["--prompt", "artifact", "delete", "img"], "n\n"),
    ("--prompt delete tbl, answer y", ["--prompt", "artifact", "delete", "tbl"], "y\n"),
    ("ls --all after deletes", ["artifact", "ls", "--all"], None),
]


def run_cli_step(api_url: str, home: Path, result: dict, args: list, stdin: str | None):
    args = [result["progress_artifact_id"] if a == "<progress>" else a for a in args]
    p = cli(api_url, home, *args, input=stdin)
    return p, f"exit {p.returncode}\n" + normalize_cli(p.stdout + p.stderr)
