#!/usr/bin/env bash
# Slots benchmark: the booking page's slots partial for a 60-day window vs a plain-SQL generate_series
# baseline, for a reader with a year of weekly availability and 500 bookings (see docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" bench/slots/bench.py --rounds "${BENCH_ROUNDS:-200}" "$@"
