#!/usr/bin/env python3
"""Where a w1 write's time goes (issue 15, point 5).

    python3 bench/w1_profile.py --db COPY_OF_A_SEEDED_DB [--binary target/release/artifactd]
        [--conc 16] [--duration 10] [--port 4760]

Three runs of bench/run.sh's w1 shape (wrk/shape.lua, -t2 -cCONC) against
artifactd serving DB (use a copy: the runs write to it):

1. plain: req/s and the CPU time of each server thread (the writer thread
   `artifactd-writer` apart from the HTTP workers), per request;
2. under `strace -f -c` tracing only fdatasync/fsync (and write/pwrite64 on
   the WAL): how many flushes the group commit made per request and the
   wall time spent in them;
3. under `perf record -g` (CPU samples of the whole process): the share of
   CPU in JSON parsing, validation, SQLite, the JSON answer, HTTP and the
   kernel, by the symbols on each sample's stack.

Prints a Markdown summary; nothing is changed in artifactd.
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
from bench import Server, loadavg, log, run_wrk  # noqa: E402


def threads(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as fh:
                s = fh.read()
            name = s[s.index("(") + 1:s.rindex(")")]
            f = s.rsplit(")", 1)[1].split()
            out[t] = (name, int(f[11]) + int(f[12]))
        except (OSError, ValueError):
            pass
    return out


def serve(args, wrapper=()):
    argv = list(wrapper) + [args.binary, "serve", "--db", args.db, "--port", str(args.port)]
    srv = Server("artifactd", argv, dict(os.environ, RUST_LOG="warn"), os.path.join(BENCH, "work", "w1-profile.log"))
    srv.start(args.port)
    return srv


def artifactd_pid(srv):
    # Under strace/perf the server is the wrapper's child.
    for p in [srv.proc.pid] + [int(x) for x in subprocess.run(["pgrep", "-P", str(srv.proc.pid)],
                                                             capture_output=True, text=True).stdout.split()]:
        try:
            with open(f"/proc/{p}/comm") as fh:
                if fh.read().strip().startswith("artifactd"):
                    return p
        except OSError:
            pass
    return srv.proc.pid


# Stack symbols -> where the time goes: the first bucket (in this order)
# that any frame of the sample's stack matches.
BUCKETS = [
    ("fsync (kernel)", ("fdatasync", "fsync", "jbd2", "file_write_and_wait", "blkdev_issue_flush")),
    ("WAL writes (kernel pwrite)", ("ext4_block_write", "ext4_da_write", "copy_folio_from_iter", "mark_buffer_dirty",
                                    "generic_perform_write", "block_commit_write", "ext4_file_write", "pwrite")),
    ("page reads (kernel pread)", ("_copy_to_iter", "filemap_get_read_batch", "filemap_read", "pread")),
    ("SQLite", ("sqlite3", "btree", "Btree", "pager", "Pager", "wal", "Wal", "vdbe", "Vdbe", "pcache")),
    ("request JSON parse", ("serde_json::de", "pyjson", "from_slice", "from_str")),
    ("validation", ("schemas::", "coerce::", "validate::")),
    ("answer JSON", ("to_json", "write_json", "serde_json::ser")),
    ("events (artifact_collection event)", ("events::",)),
    ("HTTP / actix", ("actix", "h1::", "http::", "tokio", "mio")),
    ("kernel network", ("tcp_", "sock_", "__sys_send", "__sys_recv", "ip_", "skb", "epoll")),
    ("scheduler / futex waits", ("finish_task_switch", "futex", "schedule", "_raw_spin_unlock")),
    ("allocator", ("malloc", "free", "realloc", "cfree", "_int_")),
]


def bucket(stack):
    for name, needles in BUCKETS:
        if any(n in frame for frame in stack for n in needles):
            return name
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "artifactd"))
    ap.add_argument("--conc", type=int, default=16)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--port", type=int, default=4760)
    args = ap.parse_args()
    os.makedirs(os.path.join(BENCH, "work"), exist_ok=True)
    lines = [f"w1 at c={args.conc}, {args.duration:g} s per run, `{args.db}` (load average before {loadavg()})", ""]

    # 1. plain, with per-thread CPU.
    srv = serve(args)
    try:
        run_wrk(args.port, "w1", None, None, 4, 2, 30)
        before = threads(srv.proc.pid)
        r = run_wrk(args.port, "w1", None, None, args.conc, args.duration, 30)
        after = threads(srv.proc.pid)
    finally:
        srv.stop()
    tck = os.sysconf("SC_CLK_TCK")
    per = collections.Counter()
    for t, (name, ticks) in after.items():
        group = "writer thread" if "artifactd-writ" in name else ("HTTP workers" if "actix" in name else name)
        per[group] += ticks - before.get(t, (name, 0))[1]
    n = r["requests"] or 1
    lines += [f"1. plain: {r['rps']:,.0f} req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
              f"{r['errors']} errors (load after {loadavg()}). CPU per request by thread:", "",
              "| thread | CPU ms/req |", "| --- | ---: |"]
    for g, ticks in per.most_common():
        if ticks:
            lines.append(f"| {g} | {ticks * 1000 / tck / n:.3f} |")

    # 2. flushes, under strace (only the traced calls stop the process).
    with tempfile.NamedTemporaryFile("r", suffix=".strace", delete=False) as tf:
        trace = tf.name
    srv = serve(args, ["strace", "-f", "--seccomp-bpf", "-c", "-e", "trace=fdatasync,fsync", "-o", trace])
    try:
        r2 = run_wrk(args.port, "w1", None, None, args.conc, args.duration, 30)
    finally:
        # strace writes its summary when the traced server exits.
        os.kill(artifactd_pid(srv), 15)
        srv.proc.wait(60)
    calls, secs = 0, 0.0
    with open(trace) as fh:
        for line in fh:
            f = line.split()
            if f and f[-1] in ("fdatasync", "fsync") and len(f) >= 5:
                secs += float(f[1])
                calls += int(f[3])
    n2 = r2["requests"] or 1
    lines += ["", f"2. under strace: {r2['rps']:,.0f} req/s; {calls} fsync/fdatasync calls for {n2} creates "
              f"({n2 / max(calls, 1):.1f} creates per flush), {secs:.2f} s inside them "
              f"(system time strace counts; {secs * 1000 / n2:.3f} ms per create, spent by the writer "
              "thread while the HTTP workers go on)."]

    # 3. CPU samples by stack.
    data = os.path.join(BENCH, "work", "w1-perf.data")
    srv = serve(args)
    try:
        pid = artifactd_pid(srv)
        perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", data, "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r3 = run_wrk(args.port, "w1", None, None, args.conc, args.duration, 30)
        perf.send_signal(2)
        perf.wait(60)
    finally:
        srv.stop()
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    counts, stack = collections.Counter(), []
    for line in script.splitlines() + [""]:
        if not line.strip():
            if stack:
                counts[bucket(stack[1:])] += 1
            stack = []
        else:
            stack.append(line.strip())
    total = sum(counts.values()) or 1
    lines += ["", f"3. under perf ({r3['rps']:,.0f} req/s): share of the server's CPU samples ({total}) by what "
              "is on the stack:", "", "| where | share |", "| --- | ---: |"]
    for k, v in counts.most_common():
        lines.append(f"| {k} | {100 * v / total:.1f}% |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
