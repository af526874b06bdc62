#!/usr/bin/env python3
"""The artifactd benchmark (issue 6). Run it through bench/run.sh; see
bench/README.md for what every number means.

Steps: build (cargo build --release) and snapshot the binary; generate the
dataset (cached); seed a fresh artifactd database with `artifactd seed`
(timed); time each read shape's SQL directly on that file; serve it and
measure start-to-healthy, the load shapes (wrk) at each concurrency and peak
RSS; then, with --with-reference, the same for Prefect 3.9.1 on the same
dataset written straight into its SQLite database; print the tables and
save them under bench/work/results/.
"""

import argparse
import datetime as _dt
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
WORK = os.path.join(BENCH, "work")
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
REF_VENV = os.path.expanduser("~/prefect-ref")
SQLTIME = os.path.join(BENCH, "sqltime", "target", "release", "artifactd-bench-sqltime")
CEILING = os.path.join(BENCH, "ceiling", "target", "release", "artifactd-bench-ceiling")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def parse_duration(s):
    s = s.strip()
    for suffix, mult in (("ms", 0.001), ("s", 1), ("m", 60)):
        if s.endswith(suffix) and s[: -len(suffix)].replace(".", "").isdigit():
            return float(s[: -len(suffix)]) * mult
    return float(s)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body, timeout=60):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def capture(port, path, body):
    """One request, and the answer exactly as it came: status, reason,
    headers in order, body bytes (for the ceiling server to repeat)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, body=json.dumps(body, separators=(",", ":")).encode(),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return {"status": r.status, "reason": r.reason, "headers": r.getheaders(), "body": r.read()}
    finally:
        conn.close()


def w1_body(n=0):
    """The body wrk/shape.lua sends for w1 request n."""
    pad = "x" * 120
    return {"key": f"bench-w1-{n % 1000:04d}", "type": "table", "description": f"bench write {n}",
            "data": f'[{{"rows": {n}, "pad": "{pad}"}}]', "metadata_": {"n": str(n)}}


def proc_tree(pid):
    """pid and all its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_ticks(pids):
    """utime + stime of the processes, in clock ticks."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
        except (OSError, ValueError, IndexError):
            pass
    return total


def vm_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server process: started, timed to a healthy /api/health, stopped."""

    def __init__(self, name, argv, env, logfile):
        self.name, self.argv, self.env, self.logfile = name, argv, env, logfile
        self.proc = None
        self.port = None

    def start(self, port, timeout=300):
        self.port = port
        fh = open(self.logfile, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logfile}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if r.status == 200 and json.loads(r.read()) is True:
                        return time.monotonic() - t0
            except (OSError, ValueError):
                pass
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"{self.name} not healthy after {timeout}s; see {self.logfile}")
            time.sleep(0.005)

    def peak_rss_kb(self):
        """VmHWM of the server process (and of any child it runs: the
        largest one, which for both servers is the process answering)."""
        tree = proc_tree(self.proc.pid)
        return max(vm_kb(p, "VmHWM") for p in tree), len(tree)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ----------------------------------------------------------------- shapes

def shapes(meta):
    return [
        ("q1", "/api/artifacts/latest/filter", {}),
        ("q2", "/api/artifacts/latest/filter",
         {"artifacts": {"key": {"like_": meta["q2_like"]}, "type": {"any_": [meta["q2_type"]]}}, "limit": 50}),
        ("q3", "/api/artifacts/latest/filter",
         {"flows": {"name": {"any_": [meta["q3_flow"]]}},
          "flow_runs": {"state": {"type": {"any_": [meta["q3_state"]]}}},
          "sort": "UPDATED_DESC", "limit": 50}),
        ("q4", "/api/artifacts/filter",
         {"artifacts": {"key": {"any_": [meta["q4_key"]]}}, "sort": "CREATED_DESC", "limit": 20}),
        ("q5", "/api/artifacts/latest/count", {}),
        ("w1", "/api/artifacts/", None),
        # One request per step of a flow run: create (Pending), Running,
        # Completed; req/s / 3 is flow runs per second.
        ("w2", "/api/flow_runs/", None),
    ]


def answer_digest(status, body):
    """A short, comparable summary of a read answer: status, number of rows
    and a hash of the row ids in order (or the count itself)."""
    if isinstance(body, list):
        ids = [r.get("id") for r in body]
        return {"status": status, "rows": len(ids),
                "ids_sha1": hashlib.sha1(json.dumps(ids).encode()).hexdigest()[:12]}
    if isinstance(body, int):
        return {"status": status, "count": body}
    return {"status": status, "body": json.dumps(body)[:160]}


def run_wrk(port, shape, path, body, conc, secs, timeout_s, keys=1000, flow_id=None):
    threads = 1 if conc == 1 else 2
    args = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{max(1, round(secs))}s", f"--timeout={timeout_s}s",
            f"http://127.0.0.1:{port}", "-s", os.path.join(BENCH, "wrk", "shape.lua"), "--"]
    if shape == "w1":
        args += ["w1", str(keys)]
    elif shape == "w2":
        args += ["w2", flow_id]
    else:
        args += [path, json.dumps(body, separators=(",", ":"))]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("BENCHJSON "):
            r = json.loads(line[len("BENCHJSON "):])
            r["errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
            return r
    raise RuntimeError(f"wrk printed no result:\n{out}")


def run_suite(server, port, meta, args, results_key, out):
    """Start the server, check answers, run every shape, read peak RSS, stop."""
    log(f"{server.name}: starting (load average {loadavg()})")
    res = {"load_before": loadavg()}
    res["start_to_healthy_s"] = round(server.start(port), 3)
    log(f"{server.name}: healthy after {res['start_to_healthy_s']} s")
    try:
        res["answers"] = {}
        for name, path, body in shapes(meta):
            if body is not None:
                st, b = post(port, path, body)
                res["answers"][name] = answer_digest(st, b)
        # The exact answers, for the ceiling server (w1: one create's 201).
        captured = {}
        for name, path, body in shapes(meta):
            if name in args.shapes and name != "w2":
                captured[name] = capture(port, path, w1_body() if name == "w1" else body)
        res["captured"] = {k: {"status": v["status"], "reason": v["reason"], "headers": v["headers"],
                               "bytes": len(v["body"])} for k, v in captured.items()}
        server.captured = captured
        res["shapes"] = {}
        # w2's flow runs belong to a flow of their own.
        flow_id = post(port, "/api/flows/", {"name": "bench-w2"})[1]["id"] if "w2" in args.shapes else None
        for name, path, body in shapes(meta):
            if name not in args.shapes:
                continue
            warm = 2 if args.duration >= 10 else 1
            run_wrk(port, name, path, body, 4, warm, args.timeout, flow_id=flow_id)
            for conc in args.concurrency:
                tree = proc_tree(server.proc.pid)
                c0 = cpu_ticks(tree)
                r = run_wrk(port, name, path, body, conc, args.duration, args.timeout, flow_id=flow_id)
                cpu_s = (cpu_ticks(tree) - c0) / os.sysconf("SC_CLK_TCK")
                r["server_cpu_s"] = round(cpu_s, 2)
                r["server_cpu_ms_per_req"] = round(cpu_s * 1000 / r["requests"], 3) if r["requests"] else None
                r["kb_per_resp"] = round(r["bytes"] / r["requests"] / 1024, 2) if r["requests"] else None
                r["load_after"] = loadavg()
                res["shapes"][f"{name}@{conc}"] = r
                log(f"{server.name}: {name} c={conc}: {r['rps']:.1f} req/s p50 {r['p50_ms']:.2f} ms "
                    f"p99 {r['p99_ms']:.2f} ms errors {r['errors']} (load {r['load_after']})")
        st, n = post(port, "/api/artifacts/latest/count", {})
        res["collections_after"] = n
        res["peak_rss_kb"], res["processes"] = server.peak_rss_kb()
        res["load_after"] = loadavg()
    finally:
        server.stop()
    out[results_key] = res
    return res


def run_ceiling(captured, meta, args, d, out):
    """Each captured answer served by bench/ceiling (nothing but actix-web
    repeating those bytes), driven by the same wrk runs as artifactd."""
    res = {"load_before": loadavg()}
    for name, path, body in shapes(meta):
        cap = captured.get(name)
        if cap is None:
            continue
        body_file = os.path.join(d, f"ceiling-{name}.body")
        with open(body_file, "wb") as fh:
            fh.write(cap["body"])
        argv = [CEILING, "--port", "0", "--status", str(cap["status"]), "--body", body_file]
        for k, v in cap["headers"]:
            # actix-web writes these itself, as it does for artifactd.
            if k.lower() not in ("content-length", "date"):
                argv += ["--header", f"{k}: {v}"]
        port = free_port()
        argv[2] = str(port)
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(1000):
                try:
                    got = capture(port, path, body if body is not None else w1_body())
                    break
                except OSError:
                    time.sleep(0.005)
            else:
                raise RuntimeError("ceiling server did not answer")
            if got["body"] != cap["body"] or got["status"] != cap["status"]:
                raise RuntimeError(f"ceiling server answers {name} differently")
            warm = 2 if args.duration >= 10 else 1
            run_wrk(port, name, path, body, 4, warm, args.timeout)
            for conc in args.concurrency:
                r = run_wrk(port, name, path, body, conc, args.duration, args.timeout)
                r["load_after"] = loadavg()
                res[f"{name}@{conc}"] = r
                log(f"ceiling: {name} c={conc}: {r['rps']:.1f} req/s p50 {r['p50_ms']:.2f} ms "
                    f"p99 {r['p99_ms']:.2f} ms errors {r['errors']}")
        finally:
            proc.terminate()
            proc.wait(30)
    out["ceiling"] = res


def ceiling_table(out):
    """Per shape: the HTTP ceiling, the raw SQL time, the limit the two set
    together (1 / (1/ceiling + 1/(cores / sql_time))) and artifactd's share."""
    c, a, raw = out.get("ceiling"), out.get("artifactd", {}).get("shapes", {}), out.get("raw_sql", {})
    if not c:
        return []
    cores = out.get("cores") or 1
    lines = ["", f"Ceiling (bench/ceiling repeating each shape's captured answer, same wrk runs; {cores} cores; "
             f"load average before {c.get('load_before')}). Combined limit = 1 / (1/ceiling + 1/(cores / SQL "
             "median)); w1 has no SQL time here (its write is timed apart): its limit is the HTTP ceiling.", "",
             "| shape | conc | ceiling req/s | ceiling p99 ms | raw SQL median ms | combined limit req/s | "
             "artifactd req/s | fraction of limit |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, r in c.items():
        if "@" not in key:
            continue
        name, _ = key.split("@")
        q = raw.get(name)
        sql_ms = q["median_ms"] if q else None
        limit = r["rps"]
        if sql_ms:
            limit = 1 / (1 / r["rps"] + 1 / (cores / (sql_ms / 1000)))
        s = a.get(key)
        frac = f"{s['rps'] / limit:.2f}" if s and limit else "-"
        lines.append(f"| {name} | {key.split('@')[1]} | {fmt_num(r['rps'])} | {fmt_num(r['p99_ms'], 2)} | "
                     f"{'-' if sql_ms is None else f'{sql_ms:.3f}'} | {fmt_num(limit)} | "
                     f"{fmt_num(s['rps']) if s else '-'} | {frac} |")
    return lines


# ----------------------------------------------------------------- steps

def build(args, out):
    if args.no_build:
        log("skipping cargo build (--no-build)")
    else:
        log(f"cargo build --release in {REPO} (load average {loadavg()})")
        subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    os.makedirs(WORK, exist_ok=True)
    binary = os.path.join(WORK, "artifactd")
    # A snapshot: other people rebuilding target/ mid-run do not change it.
    shutil.copy2(os.path.join(REPO, "target", "release", "artifactd"), binary + ".tmp")
    os.replace(binary + ".tmp", binary)
    rev = subprocess.run(["git", "--no-optional-locks", "rev-parse", "--short", "HEAD"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no",
                            "--", "src", "migrations", "Cargo.toml"],
                           cwd=REPO, capture_output=True, text=True).stdout.strip()
    out["artifactd_rev"] = rev + ("+uncommitted" if dirty else "")
    if not os.path.exists(CEILING) and not args.no_ceiling:
        log("building bench/ceiling")
        subprocess.run(["cargo", "build", "--release", "--offline"], cwd=os.path.join(BENCH, "ceiling"),
                       check=True)
    if not os.path.exists(SQLTIME):
        log("building bench/sqltime")
        subprocess.run(["cargo", "build", "--release", "--offline"], cwd=os.path.join(BENCH, "sqltime"),
                       check=True)
    return binary


def dataset(size):
    d = os.path.join(WORK, size)
    fixture = os.path.join(d, "fixture.json")
    if not os.path.exists(fixture + ".meta.json"):
        log(f"generating the {size} dataset")
        t = time.monotonic()
        subprocess.run([sys.executable, os.path.join(BENCH, "gen_dataset.py"), "--artifacts",
                        str(SIZES[size]), "--out", fixture], check=True, stdout=subprocess.DEVNULL)
        log(f"generated in {time.monotonic() - t:.1f} s")
    with open(fixture + ".meta.json") as fh:
        return d, fixture, json.load(fh)


def rm_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def copy_db(src, dst):
    rm_db(dst)
    shutil.copyfile(src, dst)


def timed(argv, **kw):
    """Runs argv under /usr/bin/time; returns (seconds, max RSS KB, stdout)."""
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + argv, capture_output=True, text=True, **kw)
    secs = time.monotonic() - t
    if p.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed:\n{p.stdout}\n{p.stderr}")
    rss = next((int(l.split()[1]) for l in p.stderr.splitlines() if l.startswith("MAXRSS")), 0)
    return secs, rss, p.stdout + p.stderr


def seed_artifactd(binary, d, fixture, args, out):
    seed_db = os.path.join(d, "artifactd-seed.db")
    if args.reuse_db and os.path.exists(seed_db):
        log("reusing the seeded artifactd database (--reuse-db)")
    else:
        rm_db(seed_db)
        log(f"artifactd seed (load average {loadavg()})")
        load = loadavg()
        secs, rss, text = timed([binary, "seed", "--db", seed_db, fixture])
        out["artifactd_seed"] = {"seconds": round(secs, 2), "peak_rss_kb": rss, "load": load,
                                 "db_bytes": os.path.getsize(seed_db), "report": text.strip().splitlines()[0]}
        log(f"seeded in {secs:.1f} s, peak RSS {rss // 1024} MB")
    return seed_db


def raw_sql(db, meta_path, out):
    """Each shape on 1 connection, then on 2 threads with a connection each."""
    out["raw_sql"], out["raw_sql_2threads"] = {}, {}
    # The page cache of one of artifactd's readers (db::READER_CACHE_BUDGET_KIB
    # split over one reader per core), so both sides read through the same.
    cache_kib = 32 * 1024 // min(16, max(2, os.cpu_count() or 2))
    out["raw_sql_cache_kib"] = cache_kib
    env = dict(os.environ, SQLTIME_CACHE_KIB=str(cache_kib))
    for threads, key in ((1, "raw_sql"), (2, "raw_sql_2threads")):
        p = subprocess.run([SQLTIME, db, meta_path, "1", str(threads)], capture_output=True, text=True, check=True,
                           env=env)
        for line in p.stdout.splitlines():
            r = json.loads(line)
            out[key][r["shape"]] = r


def prefect_env(home, db):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("PREFECT_"):
            del env[k]
    env.update({"PREFECT_HOME": home,
                "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{db}",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    return env


def reference_server(d, db, port):
    home = os.path.join(d, "ref-home")
    os.makedirs(home, exist_ok=True)
    return Server("reference", [os.path.join(REF_VENV, "bin", "prefect"), "server", "start", "--no-services",
                                "--host", "127.0.0.1", "--port", str(port)],
                  prefect_env(home, db), os.path.join(d, "reference.log"))


def seed_reference(d, fixture, args, out):
    seed_db = os.path.join(d, "reference-seed.db")
    if args.reuse_db and os.path.exists(seed_db):
        log("reusing the seeded reference database (--reuse-db)")
        return seed_db
    rm_db(seed_db)
    port = free_port()
    srv = reference_server(d, seed_db, port)
    log("reference: creating its schema (first start on an empty database)")
    t = srv.start(port)
    srv.stop()
    log(f"reference: schema created ({t:.1f} s to healthy on an empty database); inserting rows")
    load = loadavg()
    secs, rss, text = timed([sys.executable, os.path.join(BENCH, "seed_reference.py"), fixture, seed_db])
    out["reference_seed"] = {"seconds": round(secs, 2), "peak_rss_kb": rss, "load": load,
                             "db_bytes": os.path.getsize(seed_db), "report": text.strip().splitlines()[0],
                             "empty_db_start_s": round(t, 2)}
    log(f"reference seeded in {secs:.1f} s")
    return seed_db


# ----------------------------------------------------------------- report

def fmt_num(x, nd=1):
    return "-" if x is None else f"{x:,.{nd}f}"


def report(out, args):
    lines = []
    a = out.get("artifactd", {})
    r = out.get("reference")
    lines.append(f"## {out['size']} artifacts - {out['when']} - artifactd {out['artifactd_rev']}, "
                 f"duration {args.duration:g}s per run, {os.cpu_count()} cores")
    lines.append("")
    head = "| shape | conc | artifactd req/s | p50 ms | p99 ms | errors | CPU ms/req |"
    sep = "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    if r:
        head += " reference req/s | p50 ms | p99 ms | errors | CPU ms/req | req/s ratio | p50 ratio |"
        sep += " ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    lines += [head, sep]
    for key, s in a.get("shapes", {}).items():
        name, conc = key.split("@")
        row = (f"| {name} | {conc} | {fmt_num(s['rps'])} | {fmt_num(s['p50_ms'], 2)} | "
               f"{fmt_num(s['p99_ms'], 2)} | {s['errors']} | {fmt_num(s.get('server_cpu_ms_per_req'), 2)} |")
        if r:
            t = r.get("shapes", {}).get(key)
            if t:
                clean = s["errors"] == 0 and t["errors"] == 0
                ratio = f"{s['rps'] / t['rps']:,.1f}x" if clean and t["rps"] else "n/a (errors)"
                p50r = f"{t['p50_ms'] / s['p50_ms']:,.1f}x" if clean and s["p50_ms"] else "n/a"
                row += (f" {fmt_num(t['rps'])} | {fmt_num(t['p50_ms'], 2)} | {fmt_num(t['p99_ms'], 2)} | "
                        f"{t['errors']} | {fmt_num(t.get('server_cpu_ms_per_req'), 2)} | {ratio} | {p50r} |")
            else:
                row += " - | - | - | - | - | - | - |"
        lines.append(row)
    lines.append("")
    lines.append("| | artifactd | reference |" if r else "| | artifactd |")
    lines.append("| --- | ---: | ---: |" if r else "| --- | ---: |")

    def both(label, fa, fr):
        lines.append(f"| {label} | {fa} |" + (f" {fr} |" if r else ""))

    sa, sr = out.get("artifactd_seed"), out.get("reference_seed")
    both("seed (load the dataset)",
         f"{sa['seconds']} s, peak RSS {sa['peak_rss_kb'] // 1024} MB (load {sa['load']})" if sa else "reused",
         (f"{sr['seconds']} s direct SQL inserts (not the API)" if sr else "reused") if r else "")
    both("database file", f"{sa['db_bytes'] / 1e6:,.0f} MB" if sa else "-",
         f"{sr['db_bytes'] / 1e6:,.0f} MB" if (r and sr) else "-")
    both("start to healthy /api/health", f"{a.get('start_to_healthy_s')} s",
         f"{r.get('start_to_healthy_s')} s" if r else "")
    both("peak RSS serving (VmHWM)", f"{a.get('peak_rss_kb', 0) / 1024:,.0f} MB",
         f"{r.get('peak_rss_kb', 0) / 1024:,.0f} MB" if r else "")
    both("load average before / after", f"{a.get('load_before')} / {a.get('load_after')}",
         f"{r.get('load_before')} / {r.get('load_after')}" if r else "")
    lines.append("")
    lines.append("Raw SQLite time of each read shape's SQL on artifactd's database file "
                 "(same SQLite build as artifactd, no HTTP; median and p99 on one connection, then executions per second on 1 and on 2 threads each with its own connection; "
                 f"page cache {out.get('raw_sql_cache_kib', 2000)} KiB per connection, as each artifactd reader has):")
    lines.append("")
    lines.append("| shape | rows | median ms | p99 ms | exec/s, 1 thread | exec/s, 2 threads | plan |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, q in out.get("raw_sql", {}).items():
        q2 = out.get("raw_sql_2threads", {}).get(name, {})
        lines.append(f"| {name} | {q['rows']} | {q['median_ms']:.3f} | {q['p99_ms']:.3f} | "
                     f"{fmt_num(q.get('execs_per_s'), 0)} | {fmt_num(q2.get('execs_per_s'), 0)} | "
                     f"{'; '.join(q['plan'])} |")
    lines.append("")
    lines.append("Answers (one request per read shape before the load runs):")
    lines.append("")
    for name in ("q1", "q2", "q3", "q4", "q5"):
        da = a.get("answers", {}).get(name)
        dr = r.get("answers", {}).get(name) if r else None
        same = "" if not r else (" - same as the reference" if da == dr else f" - DIFFERS: reference {dr}")
        lines.append(f"- {name}: artifactd {da}{same}")
    exp = out["meta"]["expect"]
    lines.append(f"- expected from the dataset: {exp}")
    lines += ceiling_table(out)
    lines += targets(out)
    return "\n".join(lines)


def targets(out):
    """Issue 6's targets, each checked against this run's own figures. The
    ratio targets are set at 100k, the p99, start and RSS targets at 1M; the
    table shows every check at every size and names the size it is set at."""
    a, r = out.get("artifactd", {}), out.get("reference")
    shapes, raw = a.get("shapes", {}), out.get("raw_sql", {})
    rows = []

    def check(target, at, measured, ok):
        rows.append(f"| {target} | {at} | {measured} | {'met' if ok else 'NOT MET'} |")

    for name in ("q1", "q2", "q3", "q4", "q5", "w1", "w2"):
        s = shapes.get(f"{name}@16")
        t = r.get("shapes", {}).get(f"{name}@16") if r else None
        if s and t and t["rps"]:
            ratio = s["rps"] / t["rps"]
            check(f"{name}: c=16 req/s at least 30x the reference's", "100k",
                  f"{ratio:,.1f}x ({fmt_num(s['rps'])} vs {fmt_num(t['rps'])})",
                  ratio >= 30 and s["errors"] == 0 and t["errors"] == 0)
    for name in ("q1", "q2", "q3", "q4", "q5", "w1"):
        s = shapes.get(f"{name}@16")
        if s:
            check(f"{name}: c=16 p99 at most 25 ms, no errors", "1m",
                  f"{s['p99_ms']:.2f} ms, {s['errors']} errors", s["p99_ms"] <= 25 and s["errors"] == 0)
    for name in ("q1", "q2", "q3", "q4", "q5"):
        s, q = shapes.get(f"{name}@1"), raw.get(name)
        if s and q:
            limit = 2 * q["median_ms"] + 0.3
            check(f"{name}: c=1 median at most 2x raw SQL + 0.3 ms", "any",
                  f"{s['p50_ms']:.3f} ms (limit {limit:.3f} ms)", s["p50_ms"] <= limit)
    if a.get("start_to_healthy_s") is not None:
        check("start to healthy at most 100 ms", "1m", f"{a['start_to_healthy_s'] * 1000:.0f} ms",
              a["start_to_healthy_s"] <= 0.1)
    if a.get("peak_rss_kb"):
        check("peak RSS serving at most 64 MB", "1m", f"{a['peak_rss_kb'] / 1024:.0f} MB",
              a["peak_rss_kb"] <= 64 * 1024)
    if not rows:
        return []
    return ["", f"Targets of issue 6, checked on this run ({out['size']}; each is set at the size named):", "",
            "| target | set at | measured | |", "| --- | --- | --- | --- |"] + rows


def main():
    ap = argparse.ArgumentParser(prog="bench/run.sh", description="artifactd benchmark (issue 6)")
    ap.add_argument("--size", choices=sorted(SIZES), default="100k")
    ap.add_argument("--with-reference", action="store_true",
                    help="also run Prefect 3.9.1 (~/prefect-ref) on the same dataset and print ratios")
    ap.add_argument("--duration", default="10s", help="time per shape and concurrency (default 10s)")
    ap.add_argument("--concurrency", default="1,16", help="comma-separated connection counts (default 1,16)")
    ap.add_argument("--shapes", default="q1,q2,q3,q4,q5,w1,w2")
    ap.add_argument("--timeout", type=int, default=30, help="per-request timeout in seconds for wrk")
    ap.add_argument("--no-build", action="store_true", help="use target/release/artifactd as it is")
    ap.add_argument("--reuse-db", action="store_true",
                    help="keep previously seeded databases (skips the seed timings)")
    ap.add_argument("--no-ceiling", action="store_true",
                    help="skip the ceiling runs (bench/ceiling serving each shape's captured answer)")
    ap.add_argument("--render", metavar="RESULT_JSON",
                    help="print the report of a saved run (bench/work/results/*.json) and exit")
    args = ap.parse_args()
    if args.render:
        with open(args.render) as fh:
            saved = json.load(fh)
        args.duration = saved["args"]["duration"]
        print(report(saved, args))
        return
    args.duration = parse_duration(args.duration)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.shapes = args.shapes.split(",")

    out = {"size": args.size, "when": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "cores": os.cpu_count(), "load_start": loadavg(), "args": vars(args).copy()}
    if float(out["load_start"].split()[0]) > 1.0:
        log(f"WARNING: load average {out['load_start']} at start - the machine is busy; "
            "numbers will be low and noisy")
    binary = build(args, out)
    d, fixture, meta = dataset(args.size)
    out["meta"] = meta

    seed_db = seed_artifactd(binary, d, fixture, args, out)
    run_db = os.path.join(d, "artifactd-run.db")
    copy_db(seed_db, run_db)
    log("raw SQL timings")
    raw_sql(run_db, fixture + ".meta.json", out)

    port = free_port()
    srv = Server("artifactd", [binary, "serve", "--db", run_db, "--port", str(port)],
                 dict(os.environ, RUST_LOG="warn"), os.path.join(d, "artifactd.log"))
    run_suite(srv, port, meta, args, "artifactd", out)
    if not args.no_ceiling:
        log("ceiling: the captured answers served by bench/ceiling")
        run_ceiling(srv.captured, meta, args, d, out)

    if args.with_reference:
        ref_seed = seed_reference(d, fixture, args, out)
        ref_run = os.path.join(d, "reference-run.db")
        copy_db(ref_seed, ref_run)
        port = free_port()
        run_suite(reference_server(d, ref_run, port), port, meta, args, "reference", out)

    out["load_end"] = loadavg()
    text = report(out, args)
    res_dir = os.path.join(WORK, "results")
    os.makedirs(res_dir, exist_ok=True)
    stem = os.path.join(res_dir, time.strftime("%Y%m%d-%H%M%S") + f"-{args.size}"
                        + ("-ref" if args.with_reference else ""))
    with open(stem + ".json", "w") as fh:
        json.dump(out, fh, indent=1)
    with open(stem + ".md", "w") as fh:
        fh.write(text + "\n")
    print(text)
    log(f"saved {stem}.json and .md")


if __name__ == "__main__":
    main()
