#!/usr/bin/env python3
"""Bomb pages on the built-in UI (issue 11): how long each pathological
artifact takes to render on its page, and what q1's latency is while eight
clients keep loading such pages.

    python3 bench/ui_bombs.py [--binary target/release/artifactd] [--size 10k]
                              [--runs 3] [--duration 10s] [--no-load | --no-pages]

Serves the bench dataset (generated once, as bench/run.sh does) and one
artifact per bomb (a second fixture, with ids that keep them out of q1's
answer) from a throwaway database, then:

1. times `curl` on each bomb's page (`/ui/artifacts/{id}`) and on the index
   page that lists them all, --runs times each; then the md_table_60k page
   right after 30 loads of it were abandoned at 20 ms;
2. runs wrk on q1 (`POST /api/artifacts/latest/filter {}`) at 16
   connections, once alone and once while 8 `curl` loops fetch the bomb
   pages back to back, and prints both p99s.

Uses no build step: point --binary at the build to measure. Needs python3,
curl and wrk.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the harness's helpers: dataset, Server, run_wrk)

N = 200_000  # characters per markdown bomb


def upto(n, piece):
    """`piece(i)` for i = 0, 1, ... joined until at least n characters."""
    out, size, i = [], 0, 0
    while size < n:
        p = piece(i)
        out.append(p)
        size += len(p)
        i += 1
    return "".join(out)


def bombs():
    md = {
        "quote": "> " * (N // 2),
        "list_inline": "1. " * (N // 3),
        "list_indent": upto(N, lambda d: "  " * d + "- a\n"),
        "emphasis": upto(N, lambda i: "*a **a ***a " if i % 2 == 0 else "_a __a "),
        "brackets": "[" * N,
        "link_refs": upto(N, lambda i: f"[r{i}]: http://e.x/{i}\n") + "\n" + "[r1] [r2] " * 1000,
        "html_divs": "<div>" * (N // 5),
        "md_table": "|a|b|\n|-|-|\n" + upto(N, lambda i: f"|{i}|y|\n"),
        "md_huge": upto(3_000_000, lambda i: f"Paragraph {i} with *some* text and a [link](https://e.x/{i}).\n\n"),
    }
    # The worst found under the caps (64 KiB of markdown, 256 KiB of HTML,
    # 64 open elements): these render, and bound a page's time.
    near = 60_000
    md.update({
        "quote_60_deep": upto(near, lambda i: "> " * 60 + f"line {i}\n"),
        "emphasis_60k": upto(near, lambda i: "*a **a ***a " if i % 2 == 0 else "_a __a "),
        "brackets_60k": "[" * near,
        "link_refs_60k": upto(near, lambda i: f"[r{i}]: http://e.x/{i}\n") + "\n" + "[r1] [r2] " * 100,
        "md_table_60k": "|a|b|\n|-|-|\n" + upto(50_000, lambda i: "|x|y|\n"),
        "entities_60k": "&amp;" * (near // 5),
        "headers_60k": "# h\n" * (near // 4),
        "autolinks_60k": "<http://a.b> " * (near // 13),
    })
    out = [(name, "markdown", text) for name, text in md.items()]
    rows = [{"a": i, "b": "x" * 20, "c": i * 0.5} for i in range(50_000)]
    out.append(("table_rows", "table", json.dumps(rows)))
    out.append(("table_wide", "table", json.dumps([{f"k{i}": i} for i in range(20_000)])))
    out.append(("table_500x64", "table", json.dumps([{f"c{j}": f"<{i}>" for j in range(64)} for i in range(500)])))
    out.append(("result_1mib", "result", {"k": "x" * 1_000_000}))
    out.append(("result_deep", "result", json.loads("[" * 100 + ",".join(["1"] * 100_000) + "]" * 100)))
    return out


def curl_time(url):
    """(status, bytes, seconds, whether the page has the too-large notice)
    of one GET, as curl measures it."""
    with tempfile.NamedTemporaryFile() as body:
        p = subprocess.run(["curl", "-s", "-o", body.name, "--max-time", "120", "-w",
                            "%{http_code} %{size_download} %{time_total}", url], capture_output=True, text=True)
        code, size, secs = p.stdout.split()
        notice = b"Too large to render here" in body.read()
    return int(code), int(size), float(secs), notice


def main():
    ap = argparse.ArgumentParser(prog="bench/ui_bombs.py")
    ap.add_argument("--binary", default=os.path.join(bench.REPO, "target", "release", "artifactd"))
    ap.add_argument("--size", choices=sorted(bench.SIZES), default="10k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", default="10s", help="each wrk run (default 10s)")
    ap.add_argument("--no-load", action="store_true", help="only time the pages, skip the wrk runs")
    ap.add_argument("--no-pages", action="store_true", help="only the wrk runs, skip timing the pages")
    args = ap.parse_args()

    _, fixture, _ = bench.dataset(args.size)
    port = bench.free_port()
    root = f"http://127.0.0.1:{port}"
    # The bombs come as a second fixture with the smallest ids, so that q1
    # (ID_DESC, 200 rows) answers exactly what it answers without them.
    arts, latest, pages = [], [], []
    for i, (name, kind, data) in enumerate(bombs()):
        row = {"id": f"00000000-0000-4000-8000-{i:012x}", "created": "2026-01-01T00:00:00Z",
               "updated": "2026-01-01T00:00:00Z", "key": f"bomb-{name.replace('_', '-')}", "type": kind,
               "description": None, "data": data, "metadata_": None, "flow_run_id": None, "task_run_id": None}
        arts.append(row)
        latest.append(dict(row, id=f"00000000-0000-4000-9000-{i:012x}", latest_id=row["id"]))
        pages.append((name, f"{root}/ui/artifacts/{row['id']}"))
    pages.append(("index_of_bombs", f"{root}/?q=bomb"))
    bomb_fixture = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"artifacts": arts, "artifact_collections": latest}, bomb_fixture)
    bomb_fixture.close()
    logfile = os.path.join(tempfile.gettempdir(), f"artifactd-ui-bombs-{port}.log")
    server = bench.Server("artifactd", [args.binary, "serve", "--db", ":memory:", "--fixtures", fixture,
                                        "--fixtures", bomb_fixture.name, "--port", str(port)],
                          dict(os.environ), logfile)
    server.start(port)
    loops = []
    try:

        print(f"binary: {args.binary}\n")
        if args.no_pages:
            pages_timed = []
        else:
            bench.log(f"timing pages (load average {bench.loadavg()})")
            pages_timed = pages
        if pages_timed:
            print("| page | status | bytes | notice | " + " | ".join(f"run {i + 1} s" for i in range(args.runs)) + " |")
            print("| --- | ---: | ---: | --- |" + " ---: |" * args.runs)
        for name, url in pages_timed:
            times = [curl_time(url) for _ in range(args.runs)]
            code, size, _, notice = times[-1]
            print(f"| {name} | {code} | {size} | {'yes' if notice else 'no'} | "
                  + " | ".join(f"{t:.3f}" for _, _, t, _ in times) + " |", flush=True)
        if pages_timed:
            # Loads whose client leaves after 20 ms: once dropped they stop,
            # else they hold the render turns and the next page waits. On
            # a page that takes tens of ms with or without the caps, so that
            # renders left running cost seconds, not hours.
            name, url = next(p for p in pages if p[0] == "md_table_60k")
            alone = curl_time(url)[2]
            with concurrent.futures.ThreadPoolExecutor(30) as ex:
                list(ex.map(lambda _: subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "0.02", url]),
                            range(30)))
            after = curl_time(url)[2]
            print(f"\n{name}: {alone:.3f} s alone, {after:.3f} s right after 30 loads abandoned at 20 ms")
        if args.no_load:
            return

        secs = bench.parse_duration(args.duration)
        q1 = ("/api/artifacts/latest/filter", {})
        bench.log(f"q1 c=16 alone (load average {bench.loadavg()})")
        alone = bench.run_wrk(port, "q1", *q1, 16, secs, 30)
        # One curl a round, over one connection, so the loops cost the
        # machine little besides the pages themselves.
        urls = " ".join(f"-o /dev/null {u}" for _, u in pages)
        script = f"while :; do curl -s --max-time 600 {urls}; done"
        loops = [subprocess.Popen(["sh", "-c", script], start_new_session=True) for _ in range(8)]
        time.sleep(1)
        bench.log(f"q1 c=16 with 8 bomb-page loops (load average {bench.loadavg()})")
        loaded = bench.run_wrk(port, "q1", *q1, 16, secs, 30)
        print("\n| q1 c=16 | req/s | p50 ms | p99 ms | max ms | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, r in (("alone", alone), ("8 bomb-page loops", loaded)):
            print(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} |")
    finally:
        for p in loops:
            try:
                os.killpg(p.pid, 15)
            except ProcessLookupError:
                pass
        server.stop()
        os.unlink(bomb_fixture.name)


if __name__ == "__main__":
    main()
