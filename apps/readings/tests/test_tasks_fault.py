"""Fault: a real Celery worker is killed with SIGKILL in the middle of a billing tick, then restarted.

The tick's message is acknowledged late, so the broker hands it to the restarted worker; every batch the
killed worker committed stays, the one it was writing is rolled back by PostgreSQL, and the minute keys
make the second run charge only what is still due. No minute lost, none billed twice.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.readings.models import ReadingSession
from apps.readings.tasks import session_bill_tick_task
from apps.readings.tests.helpers import due_active_sessions, ledger_minutes_of
from apps.wallet.models import Transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(settings.BASE_DIR)
SESSIONS = 150


def _worker(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "apps.readings.tests.fault_settings",
        "LIVESESSIONS_FAULT_DB_NAME": connection.settings_dict["NAME"],
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _second_minutes() -> int:
    return Transaction.objects.filter(idempotency_key__endswith=":minute:2").count()


def _unacknowledged() -> int:
    """Messages a worker has taken from the broker and not acknowledged yet (kombu's Redis transport keeps them in
    its ``unacked`` hash until the acknowledgement)."""
    with redis.Redis.from_url(settings.CELERY_BROKER_URL) as broker:
        return broker.hlen("unacked")


def _report(log: Path) -> str:
    from collections import Counter

    states = Counter(ReadingSession.objects.values_list("state", "minutes_billed", "end_reason"))
    return f"{_second_minutes()} second minutes; readings: {dict(states)}\n{log.read_text()[-3000:]}"


def _wait_for(predicate, timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_session_bill_tick_task_worker_killed_mid_tick_loses_and_doubles_no_minute(tmp_path):
    # given: many readings whose minute 2 is due, and a worker billing them one per transaction
    sessions = due_active_sessions(SESSIONS)
    queue = f"livesessions-fault-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    worker = _worker(queue, log)
    try:
        session_bill_tick_task.apply_async(queue=queue)
        # when: SIGKILL once part of the tick is committed
        assert _wait_for(lambda: _second_minutes() >= SESSIONS // 10, timeout=60), log.read_text()
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        billed_when_killed = _second_minutes()
        assert 0 < billed_when_killed < SESSIONS, "the kill must land in the middle of the tick"
        worker = _worker(queue, log)
        # then: once the broker's visibility timeout (fault_settings) has passed, the restarted worker receives
        # the same message again and finishes the tick
        assert _wait_for(lambda: _second_minutes() == SESSIONS, timeout=90, step=0.05), _report(log)
        # Once the tick's message is acknowledged the worker has nothing left to do, and is killed rather than
        # stopped (a warm shutdown takes seconds).
        assert _wait_for(lambda: _unacknowledged() == 0, timeout=30), log.read_text()
    finally:
        worker.kill()
        worker.wait(timeout=20)
    # The same message (acknowledged late) was delivered to both workers.
    assert log.read_text().count(f"{session_bill_tick_task.name}[") >= 2
    # Every reading billed exactly minutes 1 and 2 (read in two queries, not two per reading).
    ids = [session.pk for session in sessions]
    billed = dict(ReadingSession.objects.filter(pk__in=ids).values_list("pk", "minutes_billed"))
    assert billed == dict.fromkeys(ids, 2)
    assert ledger_minutes_of(ids) == {pk: [f"session:{pk}:minute:{n}" for n in (1, 2)] for pk in ids}
    # Nothing else happened to them: no pause (every wallet could pay), no end.
    assert set(ReadingSession.objects.values_list("state", flat=True)) <= {"active", "reconnecting"}
    call_command("ledger_check")
