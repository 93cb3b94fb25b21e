#!/usr/bin/env bash
# Runs every benchmark: each bench/<name>/run.sh, in name order. A failing benchmark does not stop the
# others; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")"
failed=()
found=0
for script in */run.sh; do
  [ -e "$script" ] || continue
  found=1
  name="${script%/run.sh}"
  echo "== bench/$name"
  bash "$script" || failed+=("$name")
done
[ "$found" = 1 ] || echo "No benchmarks found under bench/."
if [ "${#failed[@]}" -gt 0 ]; then
  echo "Failed benchmarks: ${failed[*]}" >&2
  exit 1
fi
