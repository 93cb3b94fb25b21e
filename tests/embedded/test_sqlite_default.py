"""`make run`'s embedded default: SQLite and no Redis. The test suite runs on PostgreSQL, so this proves in a
subprocess, on a fresh SQLite file, that the migrations apply and that a whole paid reading (charge per
minute, billing tick, end, settlement) and the ledger check work there too."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

READING = """
from datetime import timedelta
from decimal import Decimal
from django.core.management import call_command
from django.utils import timezone
from apps.sessions.models import ReadingSession
from apps.sessions.services import session_end, session_finalize
from apps.sessions.tests.helpers import both_present, start_reading, wallet_balance
from apps.wallet.models import Account

start = timezone.now() - timedelta(minutes=10)
session, client, reader = start_reading(rate=Decimal("2.00"), funds=Decimal("10.00"), at=start)
both_present(session, client, reader, start=start, until=130)
session_end(actor=client, session_id=session.pk, now=start + timedelta(seconds=135))
session_finalize(session_id=session.pk, now=start + timedelta(seconds=136))
session.refresh_from_db()
print("state", session.state, "minutes", session.minutes_billed)
print("wallet", wallet_balance(client))
print("earnings", Account.objects.get(code=f"earnings:{reader.pk}").balance)
call_command("ledger_check")
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_sqlite_default_migrates_and_runs_a_paid_reading_with_a_clean_ledger(tmp_path):
    # given: the development settings on a fresh SQLite file, without Redis
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EMAIL_URL="consolemail://",
    )
    migrate = _run(["migrate", "--noinput"], env)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    # when: a reading of 2 min 15 s at $2.00/min runs through the services and the tick
    reading = _run(["shell", "-c", READING], env)
    # then: three started minutes billed and settled 70/30, and the ledger check is clean
    assert reading.returncode == 0, reading.stdout[-2000:] + reading.stderr[-3000:]
    out = reading.stdout
    assert "state finalized minutes 3" in out
    assert "wallet 4.00" in out
    assert "earnings 4.20" in out
    assert "Ledger check: OK" in out
