"""Runs the e2e flow, API queries and CLI commands against a real Prefect
3.9.1 server and against artifactd, and prints every difference; with
`--record` it also rewrites tests/e2e/reference/*.json, the reference's
answers the tests compare artifactd with. Not a test: run it by hand with
two FRESH servers (the CLI lists everything on a server), from a Python that
has prefect==3.9.1, e.g.

    PREFECT_HOME=$(mktemp -d) prefect server start --port 4307 &   # services on
    target/debug/artifactd serve --db :memory: --port 4311 &
    python tests/e2e/tools/compare_reference.py \\
        http://127.0.0.1:4307/api http://127.0.0.1:4311/api [--record]
"""

import difflib
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import e2e_lib as lib  # noqa: E402


def run(api: str, home: Path) -> dict:
    proc, result = lib.run_flow(api, home)
    print(f"--- flow against {api}: exit {proc.returncode}")
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    lib.wait_for_task_runs(api, result)
    answers, names = lib.query_api(api, result)
    cli = {}
    for label, args, stdin in lib.CLI_SCRIPT:
        cli[label] = lib.run_cli_step(api, home, result, args, stdin)[1]
    return {"flow_output": proc.stdout + proc.stderr, "answers": answers, "cli": cli}


def main(ref: str, mine: str, record: bool) -> int:
    out = {}
    for label, api in (("reference", ref), ("artifactd", mine)):
        with tempfile.TemporaryDirectory() as home:
            out[label] = run(api, Path(home))
    Path("/tmp/e2e-compare.json").write_text(json.dumps(out, indent=1))
    a, b = out["reference"], out["artifactd"]
    if record:
        for part in ("answers", "cli"):
            (lib.HERE / "reference" / f"{part}.json").write_text(
                json.dumps(a[part], indent=1, ensure_ascii=False, sort_keys=False) + "\n"
            )
    n = 0
    for k in a["answers"].keys() | b["answers"].keys():
        if a["answers"].get(k) != b["answers"].get(k):
            n += 1
            print(f"DIFF answer {k!r}")
            print("  reference:", json.dumps(a["answers"].get(k))[:2000])
            print("  artifactd:", json.dumps(b["answers"].get(k))[:2000])
    for k in a["cli"]:
        if a["cli"][k] != b["cli"][k]:
            n += 1
            print(f"DIFF cli {k!r}")
            diff = difflib.unified_diff(
                a["cli"][k].splitlines(), b["cli"][k].splitlines(), "reference", "artifactd", lineterm=""
            )
            print("\n".join(diff))
    print(f"{n} differences (full answers in /tmp/e2e-compare.json)")
    return 1 if n else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--record"]
    sys.exit(main(args[0], args[1], "--record" in sys.argv))
