"""Billing tick benchmark: one tick that bills every due minute of N concurrently active readings (all due
at once: the worst case), through the service (``session_bill_tick``), next to a plain-SQL set-based tick
of the same work on the same data in the same run.

For each size N (default 1,000 and 10,000) it empties and re-seeds a dedicated database with N active
readings (N clients, N readers, N funded wallets, minute 1 already charged into each hold), then runs
alternately: plain SQL tick (minute n), service tick (minute n+1), plain SQL, service, ... Before each
tick, and outside the timing, both parties' heartbeats are moved past the next minute boundary so that
every reading is due. Each timing includes COMMIT (and so the ledger's deferred balance triggers).

Usage: python bench/billing_tick/bench.py [--sizes 1000 10000] [--rounds 3]
Environment: BENCH_TICK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/soulseer_bench_tick).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_TICK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/soulseer_bench_tick")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")


def ensure_database() -> None:
    parts = urlparse(BENCH_URL)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    name = parts.path.lstrip("/")
    found = subprocess.run(
        ["psql", *args, "-d", "postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found:
        subprocess.run(["createdb", *args, name], check=True)


SEED_SQL = """
-- N readings, each accepted 70 s before :t0 with minute 1 charged; every wallet funded with 100.00.
INSERT INTO wallet_account (code, kind, user_id, balance, is_frozen, frozen_reason, created_at)
SELECT 'wallet:' || c.id, 'wallet', c.id, 99.00, false, '', %(t0)s FROM accounts_user c WHERE c.email LIKE 'tick-c%%';
INSERT INTO wallet_account (code, kind, user_id, balance, is_frozen, frozen_reason, created_at)
VALUES ('stripe:cash', 'stripe_cash', NULL, 0, false, '', %(t0)s) ON CONFLICT (code) DO NOTHING;
INSERT INTO livesessions_readingsession (
    client_id, reader_id, modality, rate_amount, reader_rate, intake_note, state, end_reason, channel_name,
    created_at, accepted_at, active_seconds, active_since_at, billed_until_at, minutes_billed, charged_amount,
    client_heartbeat_at, reader_heartbeat_at, reconnect_count, grace_used_seconds, pause_count, paused_seconds,
    wallet_account_id, summary)
SELECT c.id, r.id, 'text', 1.00, 0.7, '', 'active', '', 'session.' || c.id || '.bench',
       %(t0)s - interval '70 seconds', %(t0)s - interval '70 seconds', 0, %(t0)s - interval '70 seconds',
       %(t0)s - interval '10 seconds', 1, 1.00, %(t0)s - interval '1 second', %(t0)s - interval '1 second',
       0, 0, 0, 0, w.id, '{}'
FROM accounts_user c
JOIN accounts_user r ON r.email = replace(c.email, 'tick-c', 'tick-r')
JOIN wallet_account w ON w.code = 'wallet:' || c.id
WHERE c.email LIKE 'tick-c%%';
INSERT INTO wallet_account (code, kind, user_id, balance, is_frozen, frozen_reason, created_at)
SELECT 'hold:session:' || s.id, 'hold_session', NULL, 1.00, false, '', %(t0)s FROM livesessions_readingsession s;
UPDATE livesessions_readingsession s SET hold_account_id = a.id
FROM wallet_account a WHERE a.code = 'hold:session:' || s.id;
INSERT INTO wallet_transaction (kind, idempotency_key, params_hash, created_at, user_id, actor_id, session_id,
    booking_id, order_id, stripe_event_id, stripe_payment_intent_id, stripe_checkout_session_id, stripe_refund_id,
    stripe_dispute_id, memo)
SELECT 'top_up', 'bench:topup:' || w.user_id, 'bench', %(t0)s, w.user_id, NULL::bigint, NULL::bigint,
       NULL::bigint, NULL::bigint, '', '', '', '', '', ''
FROM wallet_account w WHERE w.kind = 'wallet'
UNION ALL
SELECT 'session_charge', 'session:' || s.id || ':minute:1', 'bench', %(t0)s, s.client_id, NULL::bigint, s.id,
       NULL::bigint, NULL::bigint,
       '', '', '', '', '', ''
FROM livesessions_readingsession s;
INSERT INTO wallet_posting (transaction_id, account_id, amount)
SELECT t.id, w.id, 100.00 FROM wallet_transaction t
JOIN wallet_account w ON w.user_id = t.user_id AND w.kind = 'wallet'
WHERE t.kind = 'top_up'
UNION ALL
SELECT t.id, (SELECT id FROM wallet_account WHERE code = 'stripe:cash'), -100.00 FROM wallet_transaction t
WHERE t.kind = 'top_up'
UNION ALL
SELECT t.id, s.wallet_account_id, -1.00 FROM wallet_transaction t
JOIN livesessions_readingsession s ON s.id = t.session_id
WHERE t.kind = 'session_charge'
UNION ALL
SELECT t.id, s.hold_account_id, 1.00 FROM wallet_transaction t JOIN livesessions_readingsession s ON s.id = t.session_id
WHERE t.kind = 'session_charge';
"""

# The same tick in one statement: lock the due readings (SKIP LOCKED) and their wallets and holds (in id
# order), keep those whose wallet can pay, write the transactions (same keys and parameter hash as the
# service), their postings, both cached balances and the readings.
PLAIN_SQL_TICK = """
WITH due AS (
    SELECT s.id, s.client_id, s.rate_amount, s.minutes_billed + 1 AS minute, s.wallet_account_id, s.hold_account_id
    FROM livesessions_readingsession s
    WHERE s.state = 'active' AND s.billed_until_at < %(now)s
      AND s.client_heartbeat_at > s.billed_until_at AND s.reader_heartbeat_at > s.billed_until_at
    ORDER BY s.id
    FOR UPDATE OF s SKIP LOCKED
),
locked AS (
    SELECT a.id, a.code, a.balance FROM wallet_account a
    WHERE a.id IN (SELECT wallet_account_id FROM due UNION ALL SELECT hold_account_id FROM due)
    ORDER BY a.id FOR UPDATE
),
payable AS (
    SELECT d.*, w.code AS wallet_code, h.code AS hold_code FROM due d
    JOIN locked w ON w.id = d.wallet_account_id JOIN locked h ON h.id = d.hold_account_id
    WHERE w.balance >= d.rate_amount
),
t AS (
    INSERT INTO wallet_transaction (kind, idempotency_key, params_hash, created_at, user_id, actor_id, session_id,
        booking_id, order_id, stripe_event_id, stripe_payment_intent_id, stripe_checkout_session_id,
        stripe_refund_id, stripe_dispute_id, memo)
    SELECT 'session_charge', 'session:' || p.id || ':minute:' || p.minute,
           encode(sha256(convert_to('{"kind": "session_charge", "postings": [["' || p.hold_code || '", "'
               || p.rate_amount || '"], ["' || p.wallet_code || '", "-' || p.rate_amount || '"]], "user": '
               || p.client_id || '}', 'UTF8')), 'hex'),
           now(), p.client_id, NULL, p.id, NULL, NULL, '', '', '', '', '',
           'Reading #' || p.id || ', minute ' || p.minute
    FROM payable p
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, session_id
),
postings AS (
    INSERT INTO wallet_posting (transaction_id, account_id, amount)
    SELECT t.id, x.account_id, x.amount FROM t JOIN payable p ON p.id = t.session_id
    CROSS JOIN LATERAL (VALUES (p.wallet_account_id, -p.rate_amount), (p.hold_account_id, p.rate_amount))
        AS x(account_id, amount)
),
balances AS (
    UPDATE wallet_account a SET balance = a.balance + x.amount
    FROM t JOIN payable p ON p.id = t.session_id
    CROSS JOIN LATERAL (VALUES (p.wallet_account_id, -p.rate_amount), (p.hold_account_id, p.rate_amount))
        AS x(account_id, amount)
    WHERE a.id = x.account_id
),
advanced AS (
    UPDATE livesessions_readingsession s
    SET minutes_billed = s.minutes_billed + 1, charged_amount = s.charged_amount + s.rate_amount,
        billed_until_at = s.billed_until_at + interval '60 seconds'
    FROM t WHERE s.id = t.session_id
)
SELECT count(*) FROM t
"""


def seed(size: int):
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, wallet_account, wallet_transaction, wallet_posting, "
            "livesessions_readingsession, livesessions_sessionevent CASCADE"
        )
    users = [User(email=f"tick-c{i}@example.com", display_name=f"Client {i}") for i in range(size)]
    users += [User(email=f"tick-r{i}@example.com", display_name=f"Reader {i}", role="reader") for i in range(size)]
    User.objects.bulk_create(users, batch_size=5000)
    t0 = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SEED_SQL, {"t0": t0})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return t0


def make_due(clock):
    """Outside the timing: both parties were seen a second ago, after every reading's paid time ran out."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE livesessions_readingsession SET client_heartbeat_at = %s, reader_heartbeat_at = %s",
            [clock - timedelta(seconds=1), clock - timedelta(seconds=1)],
        )
        cursor.execute("ANALYZE livesessions_readingsession")


def plain_tick(clock) -> tuple[float, int]:
    from django.db import connection, transaction

    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as the service does (see apps.readings.services.tick)
        cursor.execute(PLAIN_SQL_TICK, {"now": clock})
        charged = cursor.fetchone()[0]
    return time.perf_counter() - began, charged


SERVICE_CPU: list[float] = []


def service_tick(clock) -> tuple[float, int]:
    from apps.readings.services import session_bill_tick

    began, cpu = time.perf_counter(), time.process_time()
    result = session_bill_tick(now=clock)
    elapsed = time.perf_counter() - began
    SERVICE_CPU.append(time.process_time() - cpu)
    assert not result.paused and not result.ended and not result.reconnecting, result
    return elapsed, result.charged


def _same_hash_as_the_service() -> None:
    """The plain SQL writes the same parameter hash as the ledger service: the keys replay each other."""
    from apps.wallet.models import Account, Transaction
    from apps.wallet.services.ledger import _params_hash

    txn = Transaction.objects.filter(memo__endswith="minute 2").order_by("pk").first()
    wallet = Account.objects.get(code=f"wallet:{txn.user_id}")
    hold = Account.objects.get(code=f"hold:session:{txn.session_id}")
    rate = hold.postings.filter(transaction=txn).get().amount
    assert txn.params_hash == _params_hash("session_charge", txn.user, [(wallet, -rate), (hold, rate)])


def run_size(size: int, rounds: int) -> dict:
    from apps.readings.models import ReadingSession

    t0 = seed(size)
    clock = t0 - timedelta(seconds=60)
    plain, service = [], []
    for _ in range(rounds):
        for name, tick, times in (("plain", plain_tick, plain), ("service", service_tick, service)):
            # Exactly one more minute due on every reading.
            clock += timedelta(seconds=60)
            make_due(clock)
            elapsed, charged = tick(clock)
            assert charged == size, f"{name} tick charged {charged} of {size}"
            times.append(elapsed)
    cpu = SERVICE_CPU[-rounds:]
    _same_hash_as_the_service()
    minutes = set(ReadingSession.objects.values_list("minutes_billed", flat=True))
    assert minutes == {1 + 2 * rounds}, minutes
    return {
        "sessions": size,
        "plain_sql_s": plain,
        "service_s": service,
        "plain_sql_median_s": statistics.median(plain),
        "service_median_s": statistics.median(service),
        "ratio": statistics.median(service) / statistics.median(plain),
        "best_ratio": min(service) / min(plain),
        "service_python_cpu_s": statistics.median(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0]
    print(f"machine: {platform.node()} nproc={os.cpu_count()} load={os.getloadavg()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"server: {server}")
    results = [run_size(size, args.rounds) for size in args.sizes]
    from apps.wallet.services.ledger_check import ledger_check_collect

    report = ledger_check_collect()
    print(f"load after: {os.getloadavg()}")
    print(f"ledger_check after the last size: {'OK' if report['ok'] else report['violations'][:5]}")
    for row in results:
        per = row["service_median_s"] / row["sessions"] * 1e6
        print(
            f"{row['sessions']:>6} sessions: service tick {row['service_median_s']:.3f} s "
            f"(runs {', '.join(f'{t:.3f}' for t in row['service_s'])}), "
            f"plain SQL {row['plain_sql_median_s']:.3f} s (runs {', '.join(f'{t:.3f}' for t in row['plain_sql_s'])}), "
            f"ratio of medians {row['ratio']:.2f}x, of best runs {row['best_ratio']:.2f}x, {per:.0f} us per session, "
            f"Python CPU of the service tick {row['service_python_cpu_s']:.2f} s"
        )
    print(json.dumps(results))
    if not report["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
