#!/usr/bin/env python3
"""Fixture load, serve --fixtures and export, timed against SQLite itself
(issue 15, point 4). Stdlib only; see bench/README.md ("Loading").

For one dataset size it measures, on the same machine in one run:

  seed      `artifactd seed --db NEW.db fixture.json`: wall time, peak RSS
  baseline  SQLite copying the same rows into the same schema
            (`bench/sqltime --copy`, the same bundled SQLite): a copy of an
            empty migrated artifactd database ATTACHes the seeded one and
            runs `INSERT OR IGNORE INTO main.t SELECT * FROM src.t` for
            every ordinary table in one transaction, all indexes and
            triggers present (default page cache, synchronous=FULL as
            artifactd), closed (so the WAL is checkpointed) before the
            clock stops
  serve     `artifactd serve --db NEW.db --fixtures fixture.json`: process
            start to the first healthy GET /api/health, peak RSS
  export    `artifactd export --db SEEDED.db --out FILE`: wall, MB/s, RSS

and writes a Markdown report to bench/results/load-<date>-<size>.md (or
--out). Every figure is the median of --runs runs; the load average is
recorded with each step.
"""

import argparse
import datetime as _dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)


def loadavg():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def log(msg):
    print(f"[load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rm_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def run_timed(argv, stdout=subprocess.DEVNULL):
    """Runs argv; returns (wall seconds, peak RSS in MB) from wait4's rusage."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, ru.ru_maxrss / 1024


SQLTIME = os.path.join(BENCH, "sqltime", "target", "release", "artifactd-bench-sqltime")


def sqltime_binary():
    """bench/sqltime (the same bundled SQLite as artifactd), built if missing."""
    if not os.path.exists(SQLTIME):
        log("building bench/sqltime")
        subprocess.run(["cargo", "build", "--release", "--locked", "--manifest-path",
                        os.path.join(BENCH, "sqltime", "Cargo.toml")], check=True)
    return SQLTIME


def sqlite_copy(sqltime, empty_db, seeded_db, target):
    """SQLite's own time to copy every row of seeded_db into a copy of empty_db."""
    rm_db(target)
    shutil.copyfile(empty_db, target)
    out = subprocess.run([sqltime, "--copy", target, seeded_db], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["seconds"], r["rows"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_to_healthy(binary, db, fixture, timeout=600):
    """Seconds from start to a healthy /api/health, and peak RSS (MB) then."""
    rm_db(db)
    port = free_port()
    t0 = time.monotonic()
    p = subprocess.Popen(
        [binary, "serve", "--db", db, "--fixtures", fixture, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"serve exited with {p.returncode}")
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("serve not healthy in time")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if json.loads(r.read()) is True:
                        break
            except OSError:
                time.sleep(0.02)
        healthy = time.monotonic() - t0
        with open(f"/proc/{p.pid}/status") as fh:
            hwm = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
        return healthy, hwm / 1024
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        rm_db(db)


def fixture_for(size):
    for d in (os.path.join("/work/bench-data", size), os.path.join(BENCH, "work", size)):
        f = os.path.join(d, "fixture.json")
        if os.path.isfile(f):
            return f
    raise SystemExit(f"no fixture for {size}: run bench/gen_dataset.py (see bench/README.md)")


def commit():
    try:
        c = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "src", "migrations", "Cargo.toml"],
                               capture_output=True, text=True).stdout.strip()
        return c + ("+uncommitted" if dirty else "")
    except OSError:
        return "?"


def median_of(runs, f):
    """Runs f() `runs` times; the median of each element of its tuples, and the load averages seen."""
    results, loads = [], []
    for _ in range(runs):
        loads.append(loadavg())
        results.append(f())
    cols = list(zip(*results))
    return [statistics.median(c) for c in cols], loads


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="100k", choices=["10k", "100k", "1m"])
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "artifactd"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=None, help="scratch folder (default: a new one under /tmp)")
    ap.add_argument("--out", default=None, help="Markdown report (default bench/results/load-<date>-<size>.md)")
    ap.add_argument("--skip", default="", help="comma list of steps to skip: serve,export")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    fixture = fixture_for(args.size)
    fixture_mb = os.path.getsize(fixture) / 1e6
    work = args.work or tempfile.mkdtemp(prefix="artifactd-load-")
    os.makedirs(work, exist_ok=True)
    binary = os.path.join(work, "artifactd")
    shutil.copy2(args.binary, binary)  # a rebuild mid-run does not change what is measured
    seeded, empty, copy = (os.path.join(work, n) for n in ("seeded.db", "empty.db", "copy.db"))
    log(f"{args.size}: {fixture} ({fixture_mb:.0f} MB), work in {work}")

    # An empty migrated database: the schema artifactd makes, every index in it.
    rm_db(empty)
    empty_fixture = os.path.join(work, "empty.json")
    with open(empty_fixture, "w") as fh:
        fh.write("{}")
    run_timed([binary, "seed", "--db", empty, empty_fixture])

    def seed():
        rm_db(seeded)
        return run_timed([binary, "seed", "--db", seeded, fixture])

    (seed_s, seed_rss), seed_loads = median_of(args.runs, seed)
    log(f"seed: {seed_s:.2f} s, {seed_rss:.0f} MB peak RSS")

    sqltime = sqltime_binary()

    def baseline():
        return sqlite_copy(sqltime, empty, seeded, copy)

    (base_s, rows), base_loads = median_of(args.runs, baseline)
    rm_db(copy)
    log(f"SQLite INSERT…SELECT: {base_s:.2f} s for {rows:.0f} rows")

    serve = export = None
    serve_loads = export_loads = []
    if "serve" not in skip:
        (h, rss), serve_loads = median_of(args.runs, lambda: serve_to_healthy(binary, os.path.join(work, "serve.db"), fixture))
        serve = (h, rss)
        log(f"serve --fixtures: healthy after {h:.2f} s, {rss:.0f} MB peak RSS")
    if "export" not in skip:
        out_json = os.path.join(work, "export.json")

        def one_export():
            wall, rss = run_timed([binary, "export", "--db", seeded, "--out", out_json])
            return wall, rss, os.path.getsize(out_json) / 1e6

        (wall, rss, mb), export_loads = median_of(args.runs, one_export)
        export = (wall, rss, mb)
        log(f"export: {mb:.0f} MB in {wall:.2f} s = {mb / wall:.0f} MB/s, {rss:.0f} MB peak RSS")
        os.remove(out_json)

    date = _dt.date.today().isoformat()
    out = args.out or os.path.join(BENCH, "results", f"load-{date}-{args.size}.md")
    lines = [
        f"# Fixture load, {args.size} ({date})",
        "",
        f"Commit {commit()}; fixture {fixture_mb:.0f} MB, {rows:.0f} rows once loaded; median of {args.runs} runs; "
        f"{os.cpu_count()} cores; baseline by `bench/sqltime --copy` (artifactd's bundled SQLite).",
        f"Command: `python3 bench/load.py --size {args.size} --runs {args.runs}`",
        "",
        "| step | time | peak RSS | | load average before each run |",
        "| --- | ---: | ---: | --- | --- |",
        f"| `artifactd seed` into a new file | {seed_s:.2f} s | {seed_rss:.0f} MB | {fixture_mb / seed_s:.0f} MB/s of fixture | {'; '.join(seed_loads)} |",
        f"| SQLite `INSERT … SELECT` of the same rows, same schema | {base_s:.2f} s | | ratio seed / SQLite **{seed_s / base_s:.2f}** | {'; '.join(base_loads)} |",
    ]
    if serve:
        lines.append(f"| `serve --fixtures`: start to healthy | {serve[0]:.2f} s | {serve[1]:.0f} MB | | {'; '.join(serve_loads)} |")
    if export:
        lines.append(
            f"| `artifactd export` ({export[2]:.0f} MB) | {export[0]:.2f} s | {export[1]:.0f} MB | **{export[2] / export[0]:.0f} MB/s** | {'; '.join(export_loads)} |"
        )
    lines.append("")
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write(text)
    print(text)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
