"""Print the directory benchmark as a Markdown table and store it as JSON under var/bench/."""

import argparse
import json
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TARGET_RATIO = 0.3
TARGET_P95_MS = 150.0


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}, {pg}"
    return f"{cpu}, {cores} cores, {mem_kb // 1024 // 1024} GiB RAM, {system}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--duration", required=True)
    parser.add_argument("--load-before", default="", help="load average of the machine before the run")
    args = parser.parse_args()
    runs = [json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]
    rows = []
    for name in dict.fromkeys(run["name"] for run in runs):  # keeps the order of first appearance
        mine = [run for run in runs if run["name"] == name]
        results = [run["result"] for run in mine]
        requests = sum(r["requests"] for r in results)
        seconds = sum(r["seconds"] for r in results)
        merged = {
            "requests": requests,
            "seconds": seconds,
            "rps": requests / seconds if seconds else 0.0,
            # wrk reports percentiles per round; these are the medians over the rounds.
            **{k: statistics.median(r[k] for r in results) for k in ("p50_ms", "p95_ms", "p99_ms")},
            "socket_errors": sum(r["socket_errors"] for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "rounds": results,
        }
        rows.append({"name": name, "url": mine[0]["url"], "result": merged})
    by_name = {row["name"]: row for row in rows}
    minimal_rps = by_name["minimal"]["result"]["rps"]
    ok = True
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    print(f"gunicorn sync workers: {args.workers}; wrk: {args.connections} connections, {args.duration} per endpoint")
    print("req/s over all rounds; latency percentiles: median over the rounds")
    print(f"load average before the run: {args.load_before}\n")
    print("| endpoint | req/s | p50 ms | p95 ms | p99 ms | ratio to minimal | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        r = row["result"]
        ratio = r["rps"] / minimal_rps if minimal_rps else 0.0
        row["ratio_to_minimal"] = round(ratio, 3)
        errors = r["socket_errors"] + r["non_2xx"]
        label = f"`{row['url']}`" + (" (signed in)" if row["name"].endswith("signed_in") else "")
        cells = [label, f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['p99_ms']:.1f}"]
        print("| " + " | ".join([*cells, f"{ratio:.2f}", str(errors)]) + " |")
        if row["name"] in ("directory_first_page", "directory_filtered_search"):
            ok &= ratio >= TARGET_RATIO and r["p95_ms"] < TARGET_P95_MS
        ok &= r["non_2xx"] == 0
    verdict = "met" if ok else "NOT met"
    print(
        f"\nTargets (directory >= {TARGET_RATIO} x minimal req/s, p95 < {TARGET_P95_MS:.0f} ms, no errors): {verdict}"
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"directory-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "machine": machine(),
                "workers": args.workers,
                "connections": args.connections,
                "duration": args.duration,
                "load_before": args.load_before,
                "rows": rows,
                "targets_met": ok,
            },
            indent=2,
        )
    )
    print(f"Results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
