#!/bin/sh
# The artifactd benchmark (issue 6). Not part of ./scripts/test.
#
#   bench/run.sh [--size 10k|100k|1m] [--with-reference] [--duration 10s]
#                [--concurrency 1,16] [--shapes q1,q2,q3,q4,q5,w1]
#                [--no-build] [--reuse-db] [--render RESULT_JSON]
#
# Needs: cargo, python3, wrk; for --with-reference, Prefect 3.9.1 in
# ~/prefect-ref. Results go to stdout and bench/work/results/. See
# bench/README.md.
set -eu
exec python3 "$(dirname "$0")/bench.py" "$@"
