"""Gifts benchmark: gifts per second through the gift service (``apps.live.services.payments.gift_send``) with
concurrent senders on PostgreSQL, p99 latency of one gift under that load, and pgbench (built-in tpcb-like) on
the same server in the same run.

1,000 viewers' wallets are funded; 20 readers are live. Each sender is a separate process with its own database
connection; every iteration sends one $1.00 gift from a random viewer to a random live stream, with a fresh
idempotency key: the whole service (access check, the stream's KEY SHARE lock, the wallet and earnings locks, the
ledger transaction and its three postings, the gift row and its event).

Usage: python bench/gifts/bench.py [--workers 8] [--seconds 20] [--viewers 1000] [--streams 20]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/soulseer_bench_gifts).
"""

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer_bench_gifts")
os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")


def _ledger_bench():  # type: ignore[no-untyped-def]
    """The ledger benchmark's helpers (database set-up, pgbench, CPU counters), loaded by path: this script's own
    directory comes first on sys.path, where "bench" is this file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ledger_bench", ROOT / "bench" / "ledger" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ledger = _ledger_bench()
cpu_busy, ensure_database, run_pgbench, setup_django = (
    _ledger.cpu_busy,
    _ledger.ensure_database,
    _ledger.run_pgbench,
    _ledger.setup_django,
)


def prepare(viewers: int, streams: int) -> dict:
    """Migrate the bench database, fund the viewers' wallets, put readers live, add one $1.00 gift."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User
    from apps.live.models import GiftKind
    from apps.live.services.streams import stream_go_live
    from apps.wallet.services.ledger import house_account, ledger_post, wallet_account

    tag = uuid.uuid4().hex[:8]
    viewer_users = User.objects.bulk_create(
        [User(email=f"bench-{tag}-v{i}@example.com", display_name=f"Viewer {i}") for i in range(viewers)]
    )
    hosts = User.objects.bulk_create(
        [User(email=f"bench-{tag}-h{i}@example.com", display_name=f"Host {i}", role="reader") for i in range(streams)]
    )
    # Money actions need a verified email address, as on the site.
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, primary=True, verified=True) for user in viewer_users]
    )
    cash = house_account("stripe:cash")
    house_account("platform:revenue")
    with transaction.atomic():
        for user in viewer_users:
            ledger_post(
                kind="top_up",
                idempotency_key=f"bench:{tag}:seed:{user.pk}",
                postings=[(cash, Decimal("-100000.00")), (wallet_account(user), Decimal("100000.00"))],
                user=user,
            )
    stream_ids = [stream_go_live(actor=host, title=f"Bench stream {tag} {host.pk}").pk for host in hosts]
    gift, _ = GiftKind.objects.get_or_create(
        name=f"Bench star {tag}", defaults={"price_amount": Decimal("1.00"), "animation": "star"}
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tag": tag, "viewer_ids": [u.pk for u in viewer_users], "stream_ids": stream_ids, "gift_id": gift.pk}


def worker(index: int, seconds: float, plan: dict, start_at: float, queue) -> None:
    import logging

    from django.db import connection

    from apps.accounts.models import User
    from apps.live.services.payments import gift_send

    logging.getLogger("apps.live").setLevel(logging.WARNING)  # one INFO line per gift would measure the console
    users = {u.pk: u for u in User.objects.filter(pk__in=plan["viewer_ids"])}
    rng = random.Random(index)
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
            gift_send(
                actor=users[rng.choice(plan["viewer_ids"])],
                stream_id=rng.choice(plan["stream_ids"]),
                gift_kind_id=plan["gift_id"],
                client_key=f"b{plan['tag']}-{index}-{n}",
            )
        except Exception:  # a refusal would mean the seed or the set-up is wrong; counted and reported
            refused += 1
        latencies.append(time.perf_counter() - began)
        n += 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    connection.close()
    queue.put({"latencies": latencies, "refused": refused, "cpu": usage.ru_utime + usage.ru_stime})


def run_gifts(workers: int, seconds: float, plan: dict) -> dict:
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 2.0
    procs = [ctx.Process(target=worker, args=(i, seconds, plan, start_at, queue)) for i in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.time()))
    busy0, total0 = cpu_busy()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    busy1, total1 = cpu_busy()
    for proc in procs:
        proc.join()
    latencies = sorted(x for r in results for x in r["latencies"])
    done = len(latencies) - sum(r["refused"] for r in results)
    return {
        "gifts": done,
        "refused": sum(r["refused"] for r in results),
        "gifts_per_second": done / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max_ms": latencies[-1] * 1000,
        "worker_cpu_ms_per_gift": sum(r["cpu"] for r in results) / max(done, 1) * 1000,
        "machine_cpu_busy": (busy1 - busy0) / max(total1 - total0, 1),
    }


def check_money(plan: dict, gifts: int) -> None:
    """Every gift is one row, one event and one ledger transaction; the ledger check is clean."""
    from django.core.management import call_command

    from apps.live.models import StreamEvent, StreamGift
    from apps.wallet.models import Transaction

    sent = StreamGift.objects.filter(stream_id__in=plan["stream_ids"]).count()
    events = StreamEvent.objects.filter(stream_id__in=plan["stream_ids"], kind="gift").count()
    txns = Transaction.objects.filter(kind="gift", subject_type="livestream", subject_id__in=plan["stream_ids"]).count()
    assert sent == events == txns == gifts, (sent, events, txns, gifts)
    call_command("ledger_check", stdout=open(os.devnull, "w"))  # noqa: SIM115 (raises on any violation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--pgbench-scale", type=int, action="append", help="pgbench -i -s (repeatable; default 1)")
    parser.add_argument("--json", help="also write the results to this file")
    opts = parser.parse_args()
    if not shutil.which("pgbench"):
        sys.exit("pgbench is not installed (apt-get install postgresql-client).")

    load_before = os.getloadavg()
    ensure_database()
    setup_django()
    from django.db import connection

    plan = prepare(opts.viewers, opts.streams)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    gifts = run_gifts(opts.workers, opts.seconds, plan)
    check_money(plan, gifts["gifts"])
    pgbench = [run_pgbench(opts.workers, opts.seconds, scale) for scale in (opts.pgbench_scale or [1])]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "server_version": server_version,
        "nproc": os.cpu_count(),
        "workers": opts.workers,
        "seconds": opts.seconds,
        "gifts": gifts,
        "pgbench": pgbench,
        "ratio": [gifts["gifts_per_second"] / p["tps"] for p in pgbench],
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    print(
        f"PostgreSQL {server_version}, {os.cpu_count()} CPUs, {opts.workers} senders, {opts.seconds} s, "
        f"{opts.viewers} wallets, {opts.streams} live streams, "
        f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    print(
        f"gift service: {gifts['gifts_per_second']:.0f} gifts/s, p50 {gifts['p50_ms']:.1f} ms, "
        f"p99 {gifts['p99_ms']:.1f} ms, max {gifts['max_ms']:.1f} ms, "
        f"worker CPU {gifts['worker_cpu_ms_per_gift']:.2f} ms/gift, machine CPU busy {gifts['machine_cpu_busy']:.0%}, "
        f"refused {gifts['refused']}"
    )
    for p, ratio in zip(pgbench, result["ratio"], strict=True):
        print(
            f"pgbench tpcb-like -s {p['scale']} -c {opts.workers} -j 2: {p['tps']:.0f} tps, "
            f"latency avg {p['latency_avg_ms']:.1f} ms, machine CPU busy {p['machine_cpu_busy']:.0%}; "
            f"ratio gifts/pgbench = {ratio:.2f}"
        )
    print("every gift: one row, one event, one ledger transaction; ledger_check: clean")
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
