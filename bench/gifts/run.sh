#!/usr/bin/env bash
# Gifts benchmark: the gift service vs pgbench on the same PostgreSQL server (see docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/gifts/bench.py --workers "${BENCH_WORKERS:-8}" --seconds "${BENCH_SECONDS:-20}" \
  --pgbench-scale 1 --pgbench-scale 8 "$@"
