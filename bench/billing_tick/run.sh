#!/usr/bin/env bash
# Billing tick benchmark: the service tick vs a plain-SQL set-based tick, 1,000 and 10,000 readings
# (see docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/billing_tick/bench.py --sizes 1000 10000 --rounds "${BENCH_ROUNDS:-3}" "$@"
