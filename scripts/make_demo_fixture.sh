#!/usr/bin/env bash
# Recreate fixtures/demo.json from a real Prefect 3 server.
#
#   scripts/make_demo_fixture.sh [OUT]        (default OUT: fixtures/demo.json)
#
# Starts a throwaway Prefect server (with services; the task-run recorder is
# what writes task runs) on a free port with a fresh PREFECT_HOME, runs
# scripts/demo_flow.py against it, snapshots it with
# scripts/snapshot_reference.py, and stops the server again.
#
# Environment:
#   PREFECT_REF   virtualenv with Prefect installed (default: ~/prefect-ref;
#                 the fixture in the repo was recorded with Prefect 3.9.1)
#   KEEP_HOME=1   keep the temporary PREFECT_HOME (server log, database)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/fixtures/demo.json}"
PREFECT_REF="${PREFECT_REF:-$HOME/prefect-ref}"
PY="$PREFECT_REF/bin/python"
PREFECT="$PREFECT_REF/bin/prefect"

echo "prefect $("$PY" -c 'import prefect; print(prefect.__version__)')" >&2

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
HOME_DIR="$(mktemp -d "${TMPDIR:-/tmp}/artifactd-demo.XXXXXX")"
API="http://127.0.0.1:$PORT/api"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        # the server was started with setsid: stop its own process group only
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP_HOME:-0}" == 1 ]]; then
        echo "kept PREFECT_HOME $HOME_DIR" >&2
    else
        rm -rf "$HOME_DIR"
    fi
}
trap cleanup EXIT

export PREFECT_HOME="$HOME_DIR"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_LOGGING_LEVEL="${PREFECT_LOGGING_LEVEL:-WARNING}"

echo "starting prefect server on port $PORT (PREFECT_HOME=$HOME_DIR)" >&2
setsid "$PREFECT" server start --host 127.0.0.1 --port "$PORT" \
    >"$HOME_DIR/server.log" 2>&1 </dev/null &
SERVER_PID=$!

for i in $(seq 1 120); do
    if [[ "$(curl -fsS "$API/health" 2>/dev/null || true)" == "true" ]]; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "prefect server exited early; log:" >&2
        cat "$HOME_DIR/server.log" >&2
        exit 1
    fi
    if [[ $i == 120 ]]; then
        echo "prefect server not healthy after 60 s; log:" >&2
        cat "$HOME_DIR/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "server healthy at $API" >&2

cd "$ROOT"
PREFECT_API_URL="$API" "$PY" scripts/demo_flow.py
mkdir -p "$(dirname "$OUT")"
"$PY" scripts/snapshot_reference.py "$API" "$OUT"
