import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from apps.core.models import AuditLog, OutboxMessage, OutboxStatus
from apps.core.outbox import outbox_backoff, outbox_drain, outbox_enqueue, outbox_handler

# What the test handlers did, by dedupe key; and how many more times the flaky one should fail.
CALLS: list[str] = []
FAILURES_LEFT: dict[str, int] = {}


@outbox_handler("tests.record")
def _record(*, key: str) -> None:
    CALLS.append(key)


@outbox_handler("tests.flaky")
def _flaky(*, key: str) -> None:
    if FAILURES_LEFT.get(key, 0) > 0:
        FAILURES_LEFT[key] -= 1
        raise ConnectionError("provider unreachable")
    CALLS.append(key)


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    FAILURES_LEFT.clear()
    yield


def _enqueue(name: str, key: str) -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(name=name, kwargs={"key": key}, dedupe_key=key)


@pytest.mark.django_db(transaction=True)
def test_outbox_enqueue_outside_transaction_refused():
    with pytest.raises(RuntimeError):
        outbox_enqueue(name="tests.record", kwargs={"key": "a"}, dedupe_key="a")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_outbox_enqueue_unknown_name_refused():
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        outbox_enqueue(name="tests.nobody", kwargs={}, dedupe_key="x")


def test_outbox_handler_bad_or_duplicate_name_refused():
    with pytest.raises(ImproperlyConfigured):
        outbox_handler("NoDots")

    with pytest.raises(ImproperlyConfigured):

        @outbox_handler("tests.record")
        def _another(*, key: str) -> None:  # pragma: no cover - never registered
            pass


@pytest.mark.django_db
def test_outbox_enqueue_dispatches_after_commit_once_per_dedupe_key(django_capture_on_commit_callbacks):
    # given / when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = _enqueue("tests.record", "k1")
        again = _enqueue("tests.record", "k1")
    # then
    assert first.pk == again.pk and OutboxMessage.objects.count() == 1
    assert len(callbacks) == 1
    assert outbox_drain() == 1 and CALLS == ["k1"]
    assert outbox_drain() == 0 and CALLS == ["k1"]
    assert OutboxMessage.objects.get().status == OutboxStatus.DONE


@pytest.mark.django_db
def test_outbox_enqueue_rolled_back_records_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox_enqueue(name="tests.record", kwargs={"key": "r"}, dedupe_key="r")
        raise ZeroDivisionError
    assert not OutboxMessage.objects.exists()
    assert outbox_drain() == 0 and CALLS == []


@pytest.mark.django_db
def test_outbox_drain_failure_retried_with_backoff_until_success():
    # given: the provider fails twice
    FAILURES_LEFT["f"] = 2
    message = _enqueue("tests.flaky", "f")
    start = timezone.now()
    # when / then: first attempt fails, the next is due after the base backoff
    assert outbox_drain(now=start) == 1
    message.refresh_from_db()
    assert (message.attempts, message.status) == (1, OutboxStatus.PENDING)
    assert message.next_attempt_at == start + outbox_backoff(1)
    assert "provider unreachable" in message.last_error
    assert outbox_drain(now=start + outbox_backoff(1) - timedelta(seconds=1)) == 0
    # second attempt fails, the wait doubles
    second = start + outbox_backoff(1)
    assert outbox_drain(now=second) == 1
    message.refresh_from_db()
    assert message.next_attempt_at == second + outbox_backoff(2)
    assert outbox_backoff(2) == 2 * outbox_backoff(1)
    # third attempt succeeds, exactly one effect
    assert outbox_drain(now=second + outbox_backoff(2)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, CALLS) == (OutboxStatus.DONE, 3, ["f"])


@pytest.mark.django_db
def test_outbox_worker_killed_mid_call_runs_again_after_lease_only():
    # given: a worker claimed the message and died before its handler finished
    from apps.core.outbox import _claim

    message = _enqueue("tests.record", "killed")
    now = timezone.now()
    assert _claim(message_id=message.pk, now=now) is not None
    # when / then: nobody runs it while the lease holds; the sweep runs it once the lease is over
    assert outbox_drain(now=now + timedelta(seconds=60)) == 0
    assert outbox_drain(now=now + timedelta(seconds=301)) == 1
    assert outbox_drain(now=now + timedelta(seconds=1000)) == 0
    assert CALLS == ["killed"]


@pytest.mark.django_db
def test_outbox_broker_down_at_commit_loses_nothing(django_capture_on_commit_callbacks):
    # given: the broker refuses the dispatch task
    broken = mock.patch("apps.core.tasks.outbox_dispatch_task.delay", side_effect=ConnectionError("broker down"))
    # when: the transaction commits and the after-commit dispatch fails
    with broken as delay, django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox_enqueue(name="tests.record", kwargs={"key": "b"}, dedupe_key="b")
    assert delay.call_count == 1
    # then: the commit went through and the sweep delivers it
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 1
    assert outbox_drain() == 1 and CALLS == ["b"]


@pytest.mark.django_db
@override_settings(OUTBOX_MAX_ATTEMPTS=2, ADMINS=[("Ops", "ops@example.com")])
def test_outbox_last_attempt_failed_marks_failed_audits_and_alerts_admins():
    # given
    FAILURES_LEFT["dead"] = 10
    message = _enqueue("tests.flaky", "dead")
    now = timezone.now()
    # when
    outbox_drain(now=now)
    outbox_drain(now=now + timedelta(hours=2))
    # then
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
    assert AuditLog.objects.filter(action="outbox.failed", target_id=str(message.pk)).count() == 1
    assert len(mail.outbox) == 1 and "tests.flaky" in mail.outbox[0].subject
    assert outbox_drain(now=now + timedelta(days=1)) == 0 and CALLS == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_outbox_drain_racing_workers_each_message_runs_once():
    # given: 30 due messages and four workers sweeping at once, each on its own connection
    for n in range(30):
        _enqueue("tests.record", f"race-{n}")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            outbox_drain()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert sorted(CALLS) == sorted(f"race-{n}" for n in range(30))
    assert OutboxMessage.objects.filter(status=OutboxStatus.DONE).count() == 30


@pytest.mark.django_db
def test_audit_log_truncate_refused():
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL soulseer.allow_truncate = off")
        cursor.execute("TRUNCATE core_auditlog")


@pytest.mark.django_db
def test_outbox_dedupe_key_unique_in_database():
    OutboxMessage.objects.create(name="tests.record", kwargs={}, dedupe_key="u", next_attempt_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(name="tests.record", kwargs={}, dedupe_key="u", next_attempt_at=timezone.now())
