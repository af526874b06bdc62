"""The side-by-side proof (test_side_by_side.py, tools/record_side_by_side.py):
each script under flows/side_by_side/ is an ordinary Prefect 3.9.1 user
program, run as its own process against a server; what it did is its exit
code, its `SIDE-BY-SIDE {json}` summary and the client's WARNING/ERROR
lines, with ids, times, run names and durations masked so that the same
script against artifactd and against a real Prefect server compares
exactly."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import e2e_lib as lib

SCRIPTS = lib.HERE / "flows" / "side_by_side"
RECORDED = lib.HERE / "reference" / "side_by_side.json"
SCRIPT_TIMEOUT = 150

# name -> script; the order is the order the tests run in.
SCENARIOS = {
    "flow_retries": "flow_retries.py",
    "task_retries": "task_retries.py",
    "pause_resume": "pause_resume.py",
    "suspend_no_deployment": "suspend_no_deployment.py",
    "cancel": "cancel.py",
    "invalid_transition": "invalid_transition.py",
    "subflow": "subflow.py",
    "serve_run_deployment": "serve_run_deployment.py",
    "wait_for_run": "wait_for_run.py",
    "variables": "variables.py",
    "state_history": "state_history.py",
}

# Client log lines: `12:34:56.789 | WARNING | logger - message`.
LOG_LINE = re.compile(r"^(served: )?\d\d:\d\d:\d\d\.\d+ \| (WARNING|ERROR|CRITICAL) +\| (.+?) - (.*)$")
RUN_NAME = re.compile(r"((?:Flow|Task) run|flow run|task run) '[^']*'")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
CLOCK = re.compile(r"\b\d\d:\d\d:\d\d(\.\d+)?\b")
DURATION = re.compile(r"\b\d+(\.\d+)? ?(seconds?|s|ms)\b")
AGE = re.compile(r"\b(\d+ (second|minute|hour|day)s?|a few seconds|an? (second|minute|moment|hour)) ago\b|\bjust now\b")
PENDULUM = re.compile(r"DateTime\(\d[\d, ]*, tzinfo=Timezone\('UTC'\)\)")
STORAGE_KEY = re.compile(r"\S*/storage/[0-9a-f]{32}")
SOURCE_FILE = re.compile(r'File "([^"]*/)?([^"/]+)"')
ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+")
MEMORY = re.compile(r" at 0x[0-9a-f]+")


def mask_text(s: str) -> str:
    s = lib.UUID_RE.sub("<id>", s)
    s = PENDULUM.sub("<datetime>", s)
    s = STORAGE_KEY.sub("<storage key>", s)
    s = SOURCE_FILE.sub(lambda m: f'File "{m.group(2)}"', s)
    s = RUN_NAME.sub(lambda m: f"{m.group(1)} '<name>'", s)
    s = TIMESTAMP.sub("<time>", s)
    s = CLOCK.sub("<clock>", s)
    s = DURATION.sub("<duration>", s)
    s = AGE.sub("<age>", s)
    s = ADDRESS.sub("<server>", s)
    s = MEMORY.sub(" at <addr>", s)
    return s


def mask(value):
    if isinstance(value, dict):
        return {mask_text(k): mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


# Printed at exit when the client's event or log worker has not drained
# yet: how many items remain depends on the machine's load, not on the
# server (a live run met it on one side only).
TIMING_LINES = re.compile(r"Still processing items: \d+ items remaining")


def client_lines(output: str) -> list[str]:
    """The WARNING/ERROR lines the client printed (first line of each;
    tracebacks below them are compared through the logs in the summary)."""
    out = []
    for line in output.splitlines():
        m = LOG_LINE.match(line)
        if m and not TIMING_LINES.search(m.group(4)):
            out.append(mask_text(f"{m.group(1) or ''}{m.group(2)} {m.group(3)} - {m.group(4)}"))
    return out


def run_scenario(name: str, api: str, home: Path) -> tuple[dict, str]:
    """Runs one scenario against `api`; returns its masked outcome and the
    raw output (for failure messages)."""
    env = lib.prefect_env(api, home)
    # The runner of flow.serve() and pause polling ask the server every
    # 10 s by default; a second keeps the suite quick and changes nothing
    # the server decides.
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    home.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, str(SCRIPTS / SCENARIOS[name])],
            env=env, cwd=str(home), capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
        )
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = "timeout"
        stdout = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    summary = None
    for line in stdout.splitlines():
        if line.startswith("SIDE-BY-SIDE "):
            summary = json.loads(line[len("SIDE-BY-SIDE "):])
    outcome = {"exit": code, "summary": mask(summary), "client lines": client_lines(stdout + "\n" + stderr)}
    return outcome, f"--- stdout\n{stdout[-6000:]}\n--- stderr\n{stderr[-6000:]}"


def pretty(value, indent: str = "") -> list[str]:
    """JSON one item a line, with short flat lists (a state's [type, name],
    a log's [level, message]) kept on one line so that a diff stays short."""
    if isinstance(value, dict) and value:
        lines = ["{"]
        for i, (k, v) in enumerate(value.items()):
            sub = pretty(v, indent + " ")
            comma = "," if i < len(value) - 1 else ""
            lines.append(f"{indent} {json.dumps(k)}: {sub[0]}")
            lines.extend(sub[1:])
            lines[-1] += comma
        lines.append(f"{indent}}}")
        return lines
    if isinstance(value, list) and value and not all(
        not isinstance(v, (dict, list)) or (isinstance(v, list) and len(json.dumps(v)) < 200)
        for v in value
    ) or isinstance(value, list) and len(json.dumps(value)) > 200:
        lines = ["["]
        for i, v in enumerate(value):
            sub = pretty(v, indent + " ")
            lines.append(f"{indent} {sub[0]}")
            lines.extend(sub[1:])
            if i < len(value) - 1:
                lines[-1] += ","
        lines.append(f"{indent}]")
        return lines
    return [json.dumps(value, ensure_ascii=False)]


def diff(expected: dict, actual: dict, labels: tuple = ("reference", "artifactd")) -> str:
    a = pretty(expected)
    b = pretty(actual)
    return "\n".join(difflib.unified_diff(a, b, *labels, lineterm="", n=4))


def load_recorded() -> dict:
    return json.loads(RECORDED.read_text()) if RECORDED.exists() else {}


def save_recorded(outcomes: dict) -> None:
    RECORDED.write_text(json.dumps(outcomes, indent=1, ensure_ascii=False) + "\n")
