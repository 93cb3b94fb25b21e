"""What the benchmarks that race a service against pgbench share: their database, Django, the sender processes and
their latencies, CPU counters, and pgbench itself (``bench/ledger``, ``bench/gifts``).

A benchmark script calls ``configure`` before anything imports Django, then ``ensure_database`` and
``setup_django``; ``run_workers`` runs its step in N processes with their own connections for S seconds;
``run_pgbench`` runs pgbench's built-in tpcb-like on the same server.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]

# A step sends one unit of work (a posting, a gift); the harness times it. A maker builds a step inside each
# worker process (after the fork, on that process' own connection).
Step = Callable[[int], Any]
StepMaker = Callable[[int, dict], Step]


def configure(*, default_url: str, redis_db: int) -> str:
    """Point Django at the benchmark's database (``BENCH_DATABASE_URL``, else ``default_url``); returns its URL."""
    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}")
    return url


def pg_args(url: str) -> tuple[list[str], str]:
    parts = urlparse(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    return args, parts.path.lstrip("/")


def ensure_database(url: str) -> None:
    args, name = pg_args(url)
    exists = subprocess.run(
        ["psql", *args, "-d", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", *args, name], check=True)


def setup_django() -> None:
    """``django.setup()`` with the test settings, but commits as durable as pgbench's: the test settings turn
    ``synchronous_commit`` off for the suite's throwaway databases, and pgbench runs with the server's default."""
    import django
    from django.conf import settings

    django.setup()
    options = settings.DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = re.sub(r"\s*-c synchronous_commit=off", "", options.get("options", "")).strip()


def synchronous_commit() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def cpu_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _worker(make_step: StepMaker, index: int, seconds: float, plan: dict, start_at: float, queue: Any) -> None:
    from django.db import connection

    step = make_step(index, plan)
    latencies: list[float] = []
    refused = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    n = 0
    while True:
        began = time.perf_counter()
        if time.time() >= deadline:
            break
        try:
            step(n)
        except Exception:  # a refusal would mean the seed or the set-up is wrong; counted and reported
            refused += 1
        latencies.append(time.perf_counter() - began)
        n += 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    connection.close()
    queue.put({"latencies": latencies, "refused": refused, "cpu": usage.ru_utime + usage.ru_stime})


def run_workers(make_step: StepMaker, *, workers: int, seconds: float, plan: dict) -> dict:
    """Run ``make_step(index, plan)``'s step in a loop in ``workers`` processes (forked, each with its own database
    connection), all starting together, for ``seconds``. Returns the count of completed steps, refusals, steps per
    second, latency percentiles of one step, the workers' CPU per completed step and how busy the machine was."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 2.0
    procs = [ctx.Process(target=_worker, args=(make_step, i, seconds, plan, start_at, queue)) for i in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.time()))
    busy0, total0 = cpu_busy()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    busy1, total1 = cpu_busy()
    for proc in procs:
        proc.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    refused = sum(r["refused"] for r in results)
    done = len(latencies) - refused
    return {
        "done": done,
        "refused": refused,
        "per_second": done / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max_ms": latencies[-1] * 1000,
        "worker_cpu_ms": sum(r["cpu"] for r in results) / max(done, 1) * 1000,
        "machine_cpu_busy": (busy1 - busy0) / max(total1 - total0, 1),
    }


def _pgbench_numbers(out: str) -> tuple[float, float]:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    assert tps is not None and latency is not None, out
    return float(tps.group(1)), float(latency.group(1))


def run_pgbench(url: str, *, clients: int, seconds: int, scale: int) -> dict:
    """pgbench's built-in tpcb-like at ``scale`` (``pgbench -i -s``) with ``clients`` clients and 2 threads."""
    args, name = pg_args(url)
    subprocess.run(["pgbench", *args, "-i", "-q", "-s", str(scale), name], check=True, capture_output=True)
    busy0, total0 = cpu_busy()
    out = subprocess.run(
        ["pgbench", *args, "-c", str(clients), "-j", "2", "-T", str(seconds), "-r", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    busy1, total1 = cpu_busy()
    tps, latency = _pgbench_numbers(out)
    return {
        "tps": tps,
        "latency_avg_ms": latency,
        "scale": scale,
        "machine_cpu_busy": (busy1 - busy0) / (total1 - total0),
    }


def run_pgbench_script(url: str, *, clients: int, seconds: int, script: str) -> dict:
    """pgbench driving a custom script (``-f``) on the same database, without vacuuming pgbench's tables."""
    args, name = pg_args(url)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.time_ns()}.sql"
    path.write_text(script + "\n")
    try:
        out = subprocess.run(
            ["pgbench", *args, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(path), name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        path.unlink()
    tps, latency = _pgbench_numbers(out)
    return {"tps": tps, "latency_avg_ms": latency}


def statements_of(call: Callable[[], Any]) -> list[str]:
    """The statements ``call`` sends, each shortened to its first 70 characters."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"][:70] for query in captured.captured_queries]


def profile(call: Step, *, count: int, top: int = 25) -> str:
    """``count`` calls of ``call`` in this process: CPU per call, then the functions that took the most CPU."""
    import cProfile
    import io
    import pstats

    began = time.process_time()
    for n in range(count):
        call(n)
    cpu_ms = (time.process_time() - began) / count * 1000
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for n in range(count, 2 * count):
        call(n)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    head = f"{count} calls in a row, one process: {cpu_ms:.2f} ms of CPU per call (without the profiler)\n"
    return head + out.getvalue()
