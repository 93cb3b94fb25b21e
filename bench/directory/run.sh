#!/usr/bin/env bash
# Directory benchmark: 10,000 readers in a dedicated PostgreSQL database, served by gunicorn with production
# settings on loopback, loaded by wrk with 16 concurrent connections. Measures, in one run on one server:
# the directory's first page, a filtered full-text search, and a minimal Django view for comparison.
# Prints p50/p95 latency and requests/s of each and the directory/minimal throughput ratio; writes the same
# as JSON under var/bench/. Targets: ratio >= 0.3 and p95 < 150 ms for both directory pages.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/directory"
PY="$ROOT/.venv/bin/python"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_DIRECTORY_DB:-soulseer_bench_directory}"
PORT="${BENCH_DIRECTORY_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
DURATION="${BENCH_DURATION:-5s}"
ROUNDS="${BENCH_ROUNDS:-4}"
CONNECTIONS=16
WORKERS="${BENCH_WORKERS:-$(( $(nproc) * 2 + 1 ))}"

command -v wrk >/dev/null || { echo "bench/directory needs wrk (Debian: apt-get install -y wrk)" >&2; exit 1; }
command -v psql >/dev/null || { echo "bench/directory needs psql to create its database" >&2; exit 1; }

export DATABASE_URL="$PG_URL/$DB"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}"
export DJANGO_SETTINGS_MODULE=bench_settings
export DJANGO_SECRET_KEY="bench-only-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 60)"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export PYTHONPATH="$HERE:$ROOT"

if ! psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB"
fi
[ -f "$ROOT/static/build/app.css" ] || (cd "$ROOT" && npm run --silent build)
"$PY" "$ROOT/manage.py" migrate --noinput -v 0
"$PY" "$ROOT/manage.py" collectstatic --noinput --clear -v 0
"$PY" "$HERE/seed.py"
psql "$DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
SESSION="$("$PY" "$HERE/session.py")"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
"$ROOT/.venv/bin/gunicorn" config.wsgi:application --chdir "$ROOT" --bind "127.0.0.1:$PORT" \
  --workers "$WORKERS" --log-level warning &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bench/minimal/" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "gunicorn did not start (is port $PORT free?)" >&2; exit 1; }
  sleep 0.2
done
kill -0 "$SERVER" 2>/dev/null || { echo "gunicorn did not start" >&2; exit 1; }

BASE="http://127.0.0.1:$PORT"
declare -A URLS=(
  [minimal]="$BASE/bench/minimal/"
  [directory_first_page]="$BASE/readers/"
  [directory_filtered_search]="$BASE/readers/?q=tarot&specialty=mediumship&price_max=10&rating_min=4&sort=online"
  [directory_first_page_signed_in]="$BASE/readers/"
)
RESULTS="$(mktemp)"
NAMES=(minimal directory_first_page directory_filtered_search directory_first_page_signed_in)
headers_for() { [[ "$1" == *signed_in ]] && echo "Cookie: sessionid=$SESSION" || echo "X-Bench: 1"; }
for name in "${NAMES[@]}"; do  # fail loudly on anything but 2xx, and warm up, before measuring
  curl -fsS -o /dev/null -H "$(headers_for "$name")" "${URLS[$name]}"
  wrk -t2 -c"$CONNECTIONS" -d3s -H "$(headers_for "$name")" "${URLS[$name]}" >/dev/null
done
# The endpoints take turns (ROUNDS rounds of DURATION each) so that a change in the machine's load during
# the run affects all of them alike.
for round in $(seq 1 "$ROUNDS"); do
  for name in "${NAMES[@]}"; do
    url="${URLS[$name]}"
    line="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$HERE/report.lua" -H "$(headers_for "$name")" "$url" | tail -n 1)"
    echo "{\"name\": \"$name\", \"round\": $round, \"url\": \"${url#$BASE}\", \"result\": $line}" >>"$RESULTS"
  done
done
"$PY" "$HERE/summarise.py" "$RESULTS" --connections "$CONNECTIONS" --workers "$WORKERS" --duration "$ROUNDS x $DURATION" --load-before "$LOAD_BEFORE"
rm -f "$RESULTS"
