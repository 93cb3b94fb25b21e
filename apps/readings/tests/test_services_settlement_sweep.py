"""The tick's settlement sweep: a reading that cannot be settled never holds up the others, its attempts
and last error are kept on it, and the admins are told once."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory
from apps.core.models import AuditLog
from apps.notifications.models import Notification
from apps.readings.constants import SETTLEMENT_ALERT_ATTEMPTS
from apps.readings.enums import SessionState
from apps.readings.services import session_bill_tick, session_end, tick
from apps.readings.services.settlement import NOTIFY_KIND_SETTLEMENT_STUCK
from apps.readings.tests.helpers import start_reading
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account
from apps.wallet.services.ledger import house_account, transaction_post

pytestmark = pytest.mark.django_db


def _ended_reading(t0):
    session, client, _ = start_reading(funds=Decimal("10.00"), at=t0)
    session_end(actor=client, session_id=session.pk, now=t0 + timedelta(seconds=20))
    return session


def _unsettleable_reading(t0):
    """An ended reading whose hold holds a cent more than it charged: settlement refuses it (HoldNotSettled)."""
    session = _ended_reading(t0)
    hold = Account.objects.get(code=f"hold:session:{session.pk}")
    transaction_post(
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key=f"test-stray-cent:{session.pk}",
        postings=[(hold, Decimal("0.01")), (house_account("platform:losses"), Decimal("-0.01"))],
    )
    return session


def test_session_bill_tick_unsettleable_reading_does_not_block_the_ones_behind(monkeypatch):
    # given a reading that cannot be settled, ahead of a good one, and room for one settlement per tick
    t0 = timezone.now() - timedelta(minutes=5)
    broken = _unsettleable_reading(t0)
    good = _ended_reading(t0)
    assert broken.pk < good.pk
    monkeypatch.setattr(tick, "FINALIZE_PER_TICK", 1)
    # when the tick runs twice
    first = session_bill_tick(now=t0 + timedelta(seconds=30))
    second = session_bill_tick(now=t0 + timedelta(seconds=35))
    # then the broken one failed once and the good one was settled on the next tick
    broken.refresh_from_db()
    good.refresh_from_db()
    assert first.errors and first.finalized == 0
    assert second.finalized == 1
    assert good.state == SessionState.FINALIZED
    assert broken.state == SessionState.ENDED
    assert broken.settlement_attempts == 1
    assert broken.settlement_error.startswith("HoldNotSettled:")


def test_session_bill_tick_reading_failing_to_settle_alerts_the_admins_once(caplog):
    # given two admins and a reading that cannot be settled
    admins = [AdminFactory(), AdminFactory()]
    t0 = timezone.now() - timedelta(minutes=5)
    broken = _unsettleable_reading(t0)
    # when the tick tries it more times than the alert threshold
    with caplog.at_level(logging.ERROR, logger="apps.readings.services.settlement"):
        for second in range(SETTLEMENT_ALERT_ATTEMPTS + 3):
            session_bill_tick(now=t0 + timedelta(seconds=30 + second))
    # then every attempt is counted, and the admins are told exactly once (log, audit row, notification)
    broken.refresh_from_db()
    assert broken.settlement_attempts == SETTLEMENT_ALERT_ATTEMPTS + 3
    assert broken.settlement_alerted_at is not None
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and f"Reading {broken.pk}" in r.getMessage()]
    assert len(alerts) == 1
    assert AuditLog.objects.filter(action="livesessions.settlement_stuck", target_id=str(broken.pk)).count() == 1
    notified = Notification.objects.filter(kind=NOTIFY_KIND_SETTLEMENT_STUCK)
    assert sorted(notified.values_list("user_id", flat=True)) == sorted(admin.pk for admin in admins)
    assert all(f"#{broken.pk}" in n.title and "HoldNotSettled" in n.body for n in notified)
