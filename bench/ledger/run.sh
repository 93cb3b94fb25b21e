#!/usr/bin/env bash
# Ledger benchmark: posting service vs pgbench on the same PostgreSQL server (see docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/ledger/bench.py --workers "${BENCH_WORKERS:-8}" --seconds "${BENCH_SECONDS:-20}" \
  --pgbench-scale 1 --pgbench-scale 8 "$@"
