"""Runs every side-by-side scenario (flows/side_by_side/) against a live
Prefect 3.9.1 server with its services on (started here, over a fresh
PREFECT_HOME) and against a fresh artifactd per scenario, and prints each
difference; with `--record` it writes the reference's masked outcomes to
tests/e2e/reference/side_by_side.json, which test_side_by_side.py compares
with when ARTIFACTD_E2E_REFERENCE=0. Not a test: run it by hand from a
Python that has prefect==3.9.1, after `cargo build`:

    python tests/e2e/tools/record_side_by_side.py [--record] [--port N] [NAME ...]
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import e2e_lib as lib  # noqa: E402
import side_by_side_lib as sbs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--port", type=int, default=None, help="the reference's port (default: a free one)")
    ap.add_argument("names", nargs="*", help="scenarios (default: all)")
    args = ap.parse_args()
    names = args.names or list(sbs.SCENARIOS)
    recorded = sbs.load_recorded()
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proc, api, log = lib.start_reference(tmp, services=True, port=args.port)
        try:
            for name in names:
                expected, ref_raw = sbs.run_scenario(name, api, tmp / f"{name}-reference")
                if expected["summary"] is None:
                    print(f"=== {name}: the reference gave no summary\n{ref_raw}")
                    return 1
                if name in recorded and recorded[name] != expected:
                    print(f"=== {name}: the reference differs from the recording")
                    print(sbs.diff(recorded[name], expected, ("recorded", "live reference")))
                elif name in recorded:
                    print(f"=== {name}: the reference is as recorded")
                recorded[name] = expected
                server = lib.Server(tmp)
                try:
                    actual, _ = sbs.run_scenario(name, server.api, tmp / f"{name}-artifactd")
                finally:
                    server.stop()
                same = actual == expected
                differ += not same
                print(f"=== {name}: {'same' if same else 'DIFFERENT'}")
                if not same:
                    print(sbs.diff(expected, actual))
        finally:
            lib.stop_reference(proc, log)
    if args.record:
        sbs.save_recorded({n: recorded[n] for n in sbs.SCENARIOS if n in recorded})
        print(f"recorded {sbs.RECORDED}")
    print(f"{differ} of {len(names)} scenarios differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
