#!/usr/bin/env python3
"""Any filter, fast (issue 15, point 3): times every generated filter body
(bench/gen_shapes.py) on each endpoint it is meant for, against a served
artifactd database, one request at a time.

    bench/shapes.py --db /work/bench-data/1m/shapes.db --shapes bench/work/shapes.json \
        [--binary target/release/artifactd] [--runs 5] [--port 4750] [--label before]

Per (body, endpoint) pair, a "shape": one request that must answer 200 (any
other status is dropped from the timings and listed as a finding), then
--runs timed requests on one keep-alive connection (concurrency 1); the
shape's figure is the median of those. The report gives the distribution of
the per-shape medians (p50/p90/p99/max, overall and per endpoint), the worst
10 with their bodies and SQLite's plan of the SQL artifactd builds for them
(`cargo build --release --example explain`), and is written to
bench/results/shapes-<date>[-label].md, with every figure in
bench/work/shapes-<time>[-label].json.

The server serves DB itself (migrations run on open): point it at a copy
kept for this, never at a seed other runs reuse.
"""

import argparse
import datetime as _dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
from bench import Server, loadavg, log  # noqa: E402


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round((len(xs) - 1) * q)))] if xs else None


class Client:
    """One keep-alive HTTP/1.1 connection; each call returns (status, bytes, seconds)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, path, body):
        data = json.dumps(body).encode()
        t = time.perf_counter()
        try:
            self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
            r = self.conn.getresponse()
            payload = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise
        return r.status, payload, time.perf_counter() - t


def explain(db, items):
    exe = os.path.join(REPO, "target", "release", "examples", "explain")
    if not os.path.exists(exe):
        return [{"error": "no target/release/examples/explain (cargo build --release --example explain)"}] * len(items)
    lines = "".join(json.dumps({"endpoint": e, "body": b}) + "\n" for e, b in items)
    p = subprocess.run([exe, db], input=lines, capture_output=True, text=True)
    out = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return out + [{"error": p.stderr.strip()[:300]}] * (len(items) - len(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "artifactd"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=4750)
    ap.add_argument("--label", default="")
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--slow-s", type=float, default=0.5, help="shapes slower than this get one timed run")
    ap.add_argument("--only", help="a previous run's JSON: time only its shapes slower than --over-ms")
    ap.add_argument("--over-ms", type=float, default=10.0)
    args = ap.parse_args()
    with open(args.shapes) as fh:
        spec = json.load(fh)
    pairs = [(s, e) for s in spec["shapes"] for e in s["endpoints"]]
    if args.only:
        with open(args.only) as fh:
            slow = {(r["id"], r["endpoint"]) for r in json.load(fh)["results"] if r["median_ms"] > args.over_ms}
        pairs = [(s, e) for s, e in pairs if (s["id"], e) in slow]
    rev = subprocess.run(["git", "--no-optional-locks", "rev-parse", "--short", "HEAD"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    out = {"when": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "rev": rev,
           "db": args.db, "shapes_file": args.shapes, "seed": spec["seed"], "runs": args.runs,
           "db_counts": spec.get("db_counts"), "load_before": loadavg(), "argv": sys.argv[1:]}
    srv = Server("artifactd", [args.binary, "serve", "--db", args.db, "--port", str(args.port)],
                 dict(os.environ, RUST_LOG="warn"), os.path.join(BENCH, "work", "shapes-server.log"))
    os.makedirs(os.path.join(BENCH, "work"), exist_ok=True)
    log(f"serving {args.db} (load average {out['load_before']})")
    srv.start(args.port)
    results, refused = [], []
    try:
        c = Client(args.port)
        t0 = time.monotonic()
        for i, (s, ep) in enumerate(pairs):
            st, payload, first = c.post(ep, s["body"])
            if st != 200:
                refused.append({"id": s["id"], "endpoint": ep, "status": st, "body": s["body"],
                                "answer": payload[:400].decode(errors="replace")})
                continue
            # A shape slower than --slow-s gets one timed run, not --runs.
            runs = args.runs if first < args.slow_s else min(1, args.runs)
            # --runs 0: the checking request's own time is the figure (a quick survey).
            times = [c.post(ep, s["body"])[2] * 1000 for _ in range(runs)] or [first * 1000]
            ans = json.loads(payload)
            results.append({"id": s["id"], "endpoint": ep, "body": s["body"], "atoms": s["atoms"],
                            "median_ms": statistics.median(times), "max_ms": max(times),
                            "rows": len(ans) if isinstance(ans, list) else None,
                            "count": ans if isinstance(ans, int) else None, "bytes": len(payload)})
            if (i + 1) % 100 == 0:
                log(f"{i + 1}/{len(pairs)} shapes ({time.monotonic() - t0:.0f} s, load {loadavg()})")
    finally:
        srv.stop()
    out["load_after"] = loadavg()
    out["results"], out["refused"] = results, refused
    worst = sorted(results, key=lambda r: -r["median_ms"])[:args.worst]
    for r, p in zip(worst, explain(args.db, [(r["endpoint"], r["body"]) for r in worst])):
        r["plan"], r["sql"] = p.get("plan") or [p.get("error", "")], p.get("sql")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = f"-{args.label}" if args.label else ""
    with open(os.path.join(BENCH, "work", f"shapes-{stamp}{suffix}.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    text = report(out, worst)
    md = os.path.join(BENCH, "results", f"shapes-{time.strftime('%Y-%m-%d')}{suffix}.md")
    with open(md, "w") as fh:
        fh.write(text + "\n")
    print(text)
    log(f"wrote {md}")


def dist_row(label, rs):
    ms = [r["median_ms"] for r in rs]
    return (f"| {label} | {len(ms)} | {pct(ms, .5):.2f} | {pct(ms, .9):.2f} | {pct(ms, .99):.2f} | "
            f"{max(ms):.2f} | {sum(m > 10 for m in ms)} | {sum(m > 50 for m in ms)} |")


def report(out, worst):
    rs = out["results"]
    lines = [f"# Filter shapes at {out['db_counts'].get('artifact', '?'):,} artifacts - {out['when']}", "",
             f"artifactd {out['rev']}; `bench/shapes.py {' '.join(out['argv'])}`; seed {out['seed']}; "
             f"{len(rs)} shapes answered 200, {len(out['refused'])} refused; {out['runs']} timed requests "
             f"per shape, one at a time (c=1), HTTP round trip from Python's http.client. "
             f"Load average before {out['load_before']}, after {out['load_after']} (2 cores).", "",
             "Per-shape medians, ms:", "",
             "| endpoint | shapes | p50 | p90 | p99 | max | > 10 ms | > 50 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", dist_row("all", rs)]
    for ep in sorted({r["endpoint"] for r in rs}):
        lines.append(dist_row(ep, [r for r in rs if r["endpoint"] == ep]))
    lines += ["", f"Worst {len(worst)}:", ""]
    for r in worst:
        answer = f"{r['rows']} rows" if r["rows"] is not None else f"count {r['count']}"
        lines.append(f"- **{r['median_ms']:.2f} ms** {r['id']} `{r['endpoint']}` ({answer}) "
                     f"`{json.dumps(r['body'], separators=(',', ':'))}`")
        lines.append(f"  - plan: {'; '.join(r.get('plan') or [])}")
    if out["refused"]:
        lines += ["", "Refused (not timed; a finding each):", ""]
        for r in out["refused"][:20]:
            lines.append(f"- {r['id']} `{r['endpoint']}` {r['status']}: `{json.dumps(r['body'])}` -> {r['answer'][:200]}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
