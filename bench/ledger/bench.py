"""Ledger benchmark: transactions per second through the posting service with concurrent workers on
PostgreSQL, p99 latency of one posting under that load, and pgbench (built-in tpcb-like) on the same
server in the same run.

Each worker is a separate process with its own database connection. Every posting is a gift-like
transaction: client wallet -> reader earnings + platform:revenue (split 70/30), across many wallets and
readers, so the only shared account is platform:revenue, which is never locked nor updated.

Usage: python bench/ledger/bench.py [--workers 8] [--seconds 20] [--clients 2000] [--readers 200]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/soulseer_bench).
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

BENCH_URL = harness.configure(default_url="postgres://postgres@127.0.0.1:5432/soulseer_bench", redis_db=14)


def prepare(clients: int, readers: int) -> dict:
    """Migrate the bench database and create funded wallets and reader earnings accounts."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    from apps.accounts.models import User
    from apps.wallet.models import Account
    from apps.wallet.services.ledger import (
        earnings_account,
        house_account,
        ledger_post,
        wallet_account,
    )

    tag = uuid.uuid4().hex[:8]
    users = User.objects.bulk_create(
        [User(email=f"bench-{tag}-c{i}@example.com", display_name=f"Client {i}") for i in range(clients)]
        + [
            User(email=f"bench-{tag}-r{i}@example.com", display_name=f"Reader {i}", role="reader")
            for i in range(readers)
        ]
    )
    cash = house_account("stripe:cash")
    house_account("platform:revenue")
    wallet_ids, earnings_ids = [], []
    with transaction.atomic():
        for user in users[:clients]:
            wallet = wallet_account(user)
            ledger_post(
                kind="top_up",
                idempotency_key=f"bench:{tag}:seed:{user.pk}",
                postings=[(cash, Decimal("-100000.00")), (wallet, Decimal("100000.00"))],
                user=user,
            )
            wallet_ids.append(wallet.pk)
        earnings_ids = [earnings_account(user).pk for user in users[clients:]]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert Account.objects.filter(pk__in=wallet_ids).count() == clients
    return {"tag": tag, "wallet_ids": wallet_ids, "earnings_ids": earnings_ids}


def posting_step(index: int, plan: dict) -> harness.Step:
    """One gift-like posting from a random client wallet to a random reader (built in each worker process)."""
    from apps.wallet.models import Account
    from apps.wallet.services.ledger import house_account, split_reader_share, transaction_post

    accounts = {a.pk: a for a in Account.objects.filter(pk__in=plan["wallet_ids"] + plan["earnings_ids"])}
    revenue = house_account("platform:revenue")
    rng = random.Random(index)
    amount = Decimal("1.00")
    reader_amount, platform_amount = split_reader_share(amount)

    def step(n: int) -> None:
        wallet = accounts[rng.choice(plan["wallet_ids"])]
        earnings = accounts[rng.choice(plan["earnings_ids"])]
        transaction_post(
            kind="gift",
            idempotency_key=f"bench:{plan['tag']}:{index}:{n}",
            postings=[(wallet, -amount), (earnings, reader_amount), (revenue, platform_amount)],
        )

    return step


def queries_per_posting(plan: dict) -> list[str]:
    from apps.wallet.models import Account
    from apps.wallet.services.ledger import house_account, transaction_post

    wallet = Account.objects.get(pk=plan["wallet_ids"][0])
    earnings = Account.objects.get(pk=plan["earnings_ids"][0])
    revenue = house_account("platform:revenue")
    return harness.statements_of(
        lambda: transaction_post(
            kind="gift",
            idempotency_key=f"bench:{plan['tag']}:probe",
            postings=[(wallet, Decimal("-1.00")), (earnings, Decimal("0.70")), (revenue, Decimal("0.30"))],
        )
    )


def run_pgbench_posting_sql(clients: int, seconds: int, plan: dict) -> dict:
    """The posting service's own SQL (same statements, same locks, same triggers) driven by pgbench's C client.

    The gap between this and the service is the cost of the Python/Django client; the gap between this
    and tpcb-like is the cost of the ledger's schema (triggers, indexes, constraint checks).
    """
    from apps.wallet.services.ledger import house_account

    revenue = house_account("platform:revenue").pk
    wmin, wmax = min(plan["wallet_ids"]), max(plan["wallet_ids"])
    emin, emax = min(plan["earnings_ids"]), max(plan["earnings_ids"])
    assert wmax - wmin + 1 == len(plan["wallet_ids"]) and emax - emin + 1 == len(plan["earnings_ids"])
    key = "'pgb:' || txid_current()"
    script = "\n".join(
        [
            f"\\set w random({wmin}, {wmax})",
            f"\\set e random({emin}, {emax})",
            "BEGIN;",
            "SELECT id, kind, balance, is_frozen FROM wallet_account WHERE id IN (:w, :e) ORDER BY id FOR UPDATE;",
            "WITH t AS (INSERT INTO wallet_transaction (kind, idempotency_key, params_hash, created_at,"
            " stripe_event_id, stripe_payment_intent_id, stripe_checkout_session_id, stripe_refund_id,"
            " stripe_dispute_id, memo)"
            f" VALUES ('gift', {key}, 'x', now(), '', '', '', '', '', '')"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),"
            " p AS (INSERT INTO wallet_posting (transaction_id, account_id, amount) SELECT t.id, v.a, v.m FROM t,"
            f" (VALUES (:w::bigint, -1.00::numeric), (:e::bigint, 0.70), ({revenue}::bigint, 0.30)) AS v(a, m)),"
            " u AS (UPDATE wallet_account SET balance = balance + CASE WHEN id = :w THEN -1.00 ELSE 0.70 END"
            " WHERE id IN (:w, :e) AND EXISTS (SELECT 1 FROM t))"
            " SELECT id FROM t;",
            "COMMIT;",
        ]
    )
    return harness.run_pgbench_script(BENCH_URL, clients=clients, seconds=seconds, script=script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--pgbench-scale", type=int, action="append", help="pgbench -i -s (repeatable; default 1)")
    parser.add_argument("--json", help="also write the results to this file")
    opts = parser.parse_args()
    if not shutil.which("pgbench"):
        sys.exit("pgbench is not installed (apt-get install postgresql-client).")

    load_before = os.getloadavg()
    harness.ensure_database(BENCH_URL)
    harness.setup_django()
    from django.db import connection

    plan = prepare(opts.clients, opts.readers)
    probe = queries_per_posting(plan)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    run = harness.run_workers(posting_step, workers=opts.workers, seconds=opts.seconds, plan=plan)
    ledger = {
        "transactions": run["done"],
        "refused": run["refused"],
        "tps": run["per_second"],
        "p50_ms": run["p50_ms"],
        "p99_ms": run["p99_ms"],
        "max_ms": run["max_ms"],
        "worker_cpu_ms_per_txn": run["worker_cpu_ms"],
        "machine_cpu_busy": run["machine_cpu_busy"],
    }

    from django.core.management import call_command

    call_command("ledger_check", stdout=open(os.devnull, "w"))  # noqa: SIM115 (raises on any violation)
    posting_sql = run_pgbench_posting_sql(opts.workers, opts.seconds, plan)
    call_command("ledger_check", stdout=open(os.devnull, "w"))  # noqa: SIM115 (the raw SQL kept every invariant)
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
        "statements_per_posting": len(probe),
        "statements": probe,
        "ledger": ledger,
        "posting_sql_via_pgbench": posting_sql,
        "pgbench": pgbench,
        "ratio": [ledger["tps"] / p["tps"] for p in pgbench],
        "load_average_after": os.getloadavg(),
    }
    print(
        f"PostgreSQL {server_version}, {os.cpu_count()} CPUs, {opts.workers} workers, {opts.seconds} s, "
        f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    print(f"statements per posting: {len(probe)}")
    for statement in probe:
        print(f"  {statement}")
    print(
        f"ledger posting service: {ledger['tps']:.0f} transactions/s, p50 {ledger['p50_ms']:.1f} ms, "
        f"p99 {ledger['p99_ms']:.1f} ms, max {ledger['max_ms']:.1f} ms, "
        f"worker CPU {ledger['worker_cpu_ms_per_txn']:.2f} ms/txn, machine CPU busy {ledger['machine_cpu_busy']:.0%}, "
        f"refused {ledger['refused']}"
    )
    print(
        f"the same posting SQL driven by pgbench (C client): {posting_sql['tps']:.0f} tps, "
        f"latency avg {posting_sql['latency_avg_ms']:.1f} ms"
    )
    for p, ratio in zip(pgbench, result["ratio"], strict=True):
        print(
            f"pgbench tpcb-like -s {p['scale']} -c {opts.workers} -j 2: {p['tps']:.0f} tps, "
            f"latency avg {p['latency_avg_ms']:.1f} ms, machine CPU busy {p['machine_cpu_busy']:.0%}; "
            f"ratio ledger/pgbench = {ratio:.2f}"
        )
    print("ledger_check: clean")
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
