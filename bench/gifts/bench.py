"""Gifts benchmark: gifts per second through the gift service (``apps.live.services.payments.gift_send``) with
concurrent senders on PostgreSQL, p99 latency of one gift under that load, and pgbench (built-in tpcb-like) on
the same server in the same run.

1,000 viewers' wallets are funded; 20 readers are live. Each sender is a separate process with its own database
connection; every iteration sends one $1.00 gift from a random viewer to a random live stream, with a fresh
idempotency key: the whole service (access check, the stream's KEY SHARE lock, the wallet and earnings locks, the
ledger transaction and its three postings, the gift row and its event). Commits are as durable as pgbench's
(``synchronous_commit`` at the server's default, not the test settings' ``off``). The statements of one gift are
listed; ``--profile N`` first profiles N gifts in a row in one process.

Usage: python bench/gifts/bench.py [--workers 8] [--seconds 20] [--viewers 1000] [--streams 20] [--profile 300]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/soulseer_bench_gifts).
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402 (the repository root is on the path from here on)

BENCH_URL = harness.configure(default_url="postgres://postgres@127.0.0.1:5432/soulseer_bench_gifts", redis_db=14)


def prepare(viewers: int, streams: int) -> dict:
    """Migrate the bench database, fund the viewers' wallets, put readers live, add one $1.00 gift."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User
    from apps.live.models import GiftKind
    from apps.live.services.streams import stream_go_live
    from apps.wallet.services.ledger import earnings_account, house_account, ledger_post, wallet_account

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
    for host in hosts:  # a reader's first gift creates their earnings account; the run measures the ones after
        earnings_account(host)
    gift, _ = GiftKind.objects.get_or_create(
        name=f"Bench star {tag}", defaults={"price_amount": Decimal("1.00"), "animation": "star"}
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tag": tag, "viewer_ids": [u.pk for u in viewer_users], "stream_ids": stream_ids, "gift_id": gift.pk}


def gift_step(index: int, plan: dict) -> harness.Step:
    """One $1.00 gift from a random viewer to a random live stream, with a fresh key (built in each process)."""
    import logging

    from apps.accounts.models import User
    from apps.live.services.payments import gift_send

    logging.getLogger("apps.live").setLevel(logging.WARNING)  # one INFO line per gift would measure the console
    users = {u.pk: u for u in User.objects.filter(pk__in=plan["viewer_ids"])}
    rng = random.Random(index)

    def step(n: int) -> None:
        gift_send(
            actor=users[rng.choice(plan["viewer_ids"])],
            stream_id=rng.choice(plan["stream_ids"]),
            gift_kind_id=plan["gift_id"],
            client_key=f"b{plan['tag']}-{index}-{n}",
        )

    return step


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
    parser.add_argument("--profile", type=int, default=0, help="first profile N gifts in a row in one process")
    opts = parser.parse_args()
    if not shutil.which("pgbench"):
        sys.exit("pgbench is not installed (apt-get install postgresql-client).")

    load_before = os.getloadavg()
    harness.ensure_database(BENCH_URL)
    harness.setup_django()
    from django.db import connection

    plan = prepare(opts.viewers, opts.streams)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    probe = gift_step(opts.workers, plan)  # an index of its own: its keys differ from the senders'
    statements = harness.statements_of(lambda: probe(-1))
    if opts.profile:
        print(harness.profile(probe, count=opts.profile))
    run = harness.run_workers(gift_step, workers=opts.workers, seconds=opts.seconds, plan=plan)
    gifts = {
        "gifts": run["done"],
        "refused": run["refused"],
        "gifts_per_second": run["per_second"],
        "p50_ms": run["p50_ms"],
        "p99_ms": run["p99_ms"],
        "max_ms": run["max_ms"],
        "worker_cpu_ms_per_gift": run["worker_cpu_ms"],
        "machine_cpu_busy": run["machine_cpu_busy"],
    }
    sent_before = 1 + 2 * opts.profile  # the probe's gift and the profile's
    check_money(plan, gifts["gifts"] + sent_before)
    pgbench = [
        harness.run_pgbench(BENCH_URL, clients=opts.workers, seconds=opts.seconds, scale=scale)
        for scale in (opts.pgbench_scale or [1])
    ]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "server_version": server_version,
        "nproc": os.cpu_count(),
        "workers": opts.workers,
        "seconds": opts.seconds,
        "synchronous_commit": harness.synchronous_commit(),
        "statements_per_gift": len(statements),
        "statements": statements,
        "gifts": gifts,
        "pgbench": pgbench,
        "ratio": [gifts["gifts_per_second"] / p["tps"] for p in pgbench],
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    print(
        f"PostgreSQL {server_version}, {os.cpu_count()} CPUs, {opts.workers} senders, {opts.seconds} s, "
        f"{opts.viewers} wallets, {opts.streams} live streams, "
        f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}, "
        f"synchronous_commit {result['synchronous_commit']} (as pgbench)"
    )
    print(f"statements per gift: {len(statements)}")
    for statement in statements:
        print(f"  {statement}")
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
