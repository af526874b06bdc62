#!/usr/bin/env python3
"""Test-harness bench: Prefect's prefect_test_harness() against artifactd's
harness and pytest plugin, side by side, on this machine.

    ~/.cache/artifactd/e2e-venv/bin/python bench/harness.py [-n 5] [--resets 200]

Run it with a Python that has prefect==3.9.1, pytest and the artifactd
package (pip install . from the repo root; or PYTHONPATH=python with
ARTIFACTD_BIN=target/debug/artifactd and the plugin given with -p).

(a) entering the harness to the first answered client call
    (`get_client().read_flows()`), N times each, in a fresh process each
    (a harness is a per-process thing; so is Prefect's import cost, which
    is measured apart and left out of (a));
(b) a whole example test session: `pytest examples/pytest/test_with_harness.py`
    against `pytest examples/pytest/test_with_plugin.py`, wall time;
(c) the `artifactd` fixture's per-test reset, empty and with
    fixtures/demo.json loaded: median and p95 over --resets.

Prints a table with ratios and writes bench/results/harness-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
EXAMPLE = REPO / "examples" / "pytest"
DEMO = REPO / "fixtures" / "demo.json"

ENTER = r"""
import asyncio, json, sys, time
import prefect  # imported before the clock starts: not the harness's cost
from prefect import get_client
kind = sys.argv[1]
if kind == "prefect":
    from prefect.testing.utilities import prefect_test_harness as harness
else:
    from artifactd.testing import harness

async def first_call():
    async with get_client() as client:
        return await client.read_flows()

t0 = time.perf_counter()
with harness():
    asyncio.run(first_call())
    t1 = time.perf_counter()
t2 = time.perf_counter()
print("RESULT " + json.dumps({"enter_to_first_call": t1 - t0, "exit": t2 - t1}))
"""


def env_for(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_PROFILES_PATH": str(home / "profiles.toml"),
            "PREFECT_LOGGING_COLORS": "false",
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def ms(v: float) -> str:
    return f"{v * 1000:.1f} ms" if v < 10 else f"{v:.1f} s"


def bench_enter(n: int, env: dict) -> dict:
    out = {}
    for kind in ("prefect", "artifactd"):
        times, exits = [], []
        for _ in range(n):
            proc = subprocess.run(
                [sys.executable, "-c", ENTER, kind], capture_output=True, text=True, env=env, timeout=300
            )
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                raise SystemExit(f"(a) {kind} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            r = json.loads(line[7:])
            times.append(r["enter_to_first_call"])
            exits.append(r["exit"])
        out[kind] = {"median": statistics.median(times), "min": min(times), "max": max(times),
                     "exit_median": statistics.median(exits)}
    return out


def bench_session(env: dict, plugin_args: list[str]) -> dict:
    out = {}
    for kind, test, extra in (("prefect", "test_with_harness.py", []), ("artifactd", "test_with_plugin.py", plugin_args)):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, test],
            capture_output=True, text=True, env=env, cwd=EXAMPLE, timeout=600,
        )
        took = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"(b) {test} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
        summary = proc.stdout.strip().splitlines()[-1]
        out[kind] = {"wall": took, "summary": summary}
    return out


def bench_reset(resets: int) -> dict:
    import artifactd

    out = {}
    demo_size = DEMO.stat().st_size
    with artifactd.serve(settings=False) as server:
        for label, fixtures in (("empty", []), (f"demo.json ({demo_size // 1024} KiB)", [DEMO])):
            server.reset(fixtures)  # warm-up
            times = []
            for _ in range(resets):
                t = time.perf_counter()
                server.reset(fixtures)
                times.append(time.perf_counter() - t)
            out[label] = {"median": statistics.median(times), "p95": pct(times, 0.95), "max": max(times)}
        counts = server.reset([DEMO])
    out["_demo_counts"] = counts
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5, help="harness entries per side for (a)")
    ap.add_argument("--resets", type=int, default=200, help="resets per kind for (c)")
    ap.add_argument("--parts", default="abc", help="which of (a), (b), (c) to run, e.g. --parts c")
    ap.add_argument("--out", type=Path, default=None, help="the results file (default bench/results/harness-<date>.md)")
    args = ap.parse_args()

    import artifactd
    import prefect

    plugin_args = []
    try:
        from importlib.metadata import entry_points

        if not any(e.name == "artifactd" for e in entry_points(group="pytest11")):
            plugin_args = ["-p", "artifactd.pytest_plugin"]
    except Exception:  # noqa: BLE001
        plugin_args = ["-p", "artifactd.pytest_plugin"]

    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(Path(tmp))
        if plugin_args and "PYTHONPATH" not in env:
            env["PYTHONPATH"] = str(Path(artifactd.__file__).parent.parent)
        enter = session = resets = None
        if "a" in args.parts:
            print("(a) harness enter -> first client call ...", flush=True)
            enter = bench_enter(args.n, env)
        if "b" in args.parts:
            print("(b) example sessions ...", flush=True)
            session = bench_session(env, plugin_args)
        if "c" in args.parts:
            print("(c) resets ...", flush=True)
            resets = bench_reset(args.resets)

    lines = [
        f"# Test harness bench, {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"prefect {prefect.__version__}, artifactd binary {artifactd.find_binary()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; command: `{Path(sys.executable).name} bench/harness.py "
        f"-n {args.n} --resets {args.resets} --parts {args.parts}`",
        "",
    ]
    if enter:
        p, a = enter["prefect"], enter["artifactd"]
        lines += [
            f"## (a) `with harness():` to the first answered `read_flows()` ({args.n} fresh processes each)",
            "",
            "| harness | median | min | max | exit (median) |",
            "| --- | --- | --- | --- | --- |",
            f"| prefect_test_harness() | {ms(p['median'])} | {ms(p['min'])} | {ms(p['max'])} | {ms(p['exit_median'])} |",
            f"| artifactd.testing.harness() | {ms(a['median'])} | {ms(a['min'])} | {ms(a['max'])} | {ms(a['exit_median'])} |",
            "",
            f"ratio (median): artifactd is {p['median'] / a['median']:.0f}x faster to first call; "
            f"exit {p['exit_median'] / max(a['exit_median'], 1e-9):.1f}x",
            "",
        ]
    if session:
        sp, sa = session["prefect"], session["artifactd"]
        lines += [
            "## (b) the example's test session, wall time (pytest start to exit)",
            "",
            "| session | wall | pytest summary |",
            "| --- | --- | --- |",
            f"| test_with_harness.py (prefect_test_harness) | {sp['wall']:.2f} s | {sp['summary']} |",
            f"| test_with_plugin.py (artifactd fixture) | {sa['wall']:.2f} s | {sa['summary']} |",
            "",
            f"ratio: {sp['wall'] / sa['wall']:.1f}x",
            "",
        ]
    if resets:
        lines += [
            f"## (c) per-test isolation: the `artifactd` fixture's reset ({args.resets} each)",
            "",
            "| reset to | median | p95 | max |",
            "| --- | --- | --- | --- |",
        ]
        for label, r in resets.items():
            if not label.startswith("_"):
                lines.append(f"| {label} | {ms(r['median'])} | {ms(r['p95'])} | {ms(r['max'])} |")
        lines += ["", f"demo.json loads: {json.dumps(resets['_demo_counts'])}", ""]
    text = "\n".join(lines)
    print()
    print(text)
    suffix = "" if args.parts == "abc" else f"-{args.parts}"
    out = args.out or BENCH / "results" / f"harness-{_dt.date.today():%Y-%m-%d}{suffix}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written {out}")


if __name__ == "__main__":
    main()
