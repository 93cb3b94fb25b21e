"""Finalization: the hold of an ended reading is paid out to the reader and the platform (SPEC §4).

A reading that cannot be settled stays ``ended``; ``session_settlement_failed`` counts the attempt and keeps
the error on the reading (the tick settles the least-tried first, so it never holds up the others), and
tells the admins once it has failed ``SETTLEMENT_ALERT_ATTEMPTS`` times.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from apps.core.services import audit_log_record
from apps.notifications.services import notify_admins
from apps.readings.clock import db_now
from apps.readings.constants import SESSION_SUBJECT, SETTLEMENT_ALERT_ATTEMPTS
from apps.readings.enums import SessionState
from apps.readings.exceptions import HoldNotSettled, InvalidTransition, SessionNotFound
from apps.readings.locks import session_lock
from apps.readings.models import ReadingSession
from apps.readings.prepaid import PrepaidReadingFinished, prepaid_subject_get
from apps.readings.services.transitions import session_transition
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import HoldNotSettled as WalletHoldNotSettled
from apps.wallet.services.holds import hold_key, hold_settle

logger = logging.getLogger(__name__)
S = SessionState
NOTIFY_KIND_SETTLEMENT_STUCK = "readings.settlement_stuck"


def settlement_key(session_id: int) -> str:
    return hold_key(SESSION_SUBJECT, session_id, "settlement")


@transaction.atomic(durable=True)
def session_finalize(*, session_id: int, now: datetime | None = None) -> ReadingSession:
    """Settle an ended reading and mark it ``finalized``; finalizing twice is harmless.

    The whole hold (which must equal minutes billed × rate) goes out in one transaction with the key
    ``session:<id>:settlement`` (``hold_settle``): floor(amount × the reader rate fixed when the reading was
    requested) to ``earnings:<reader>``, the rest to ``platform:revenue``. The hold must then be exactly
    zero, else ``HoldNotSettled`` and nothing changes.
    The summary shown to both parties (and on the receipt) is stored on the reading.
    """
    now = now or db_now()
    try:
        session = session_lock(session_id=session_id)
    except ReadingSession.DoesNotExist:
        raise SessionNotFound()
    if session.state == S.FINALIZED:
        return session
    if session.state != S.ENDED:
        raise InvalidTransition("Only an ended reading can be settled.")
    if session.is_prepaid:
        return _finalize_prepaid(session=session, now=now)
    try:
        settled = hold_settle(
            subject_type=SESSION_SUBJECT,
            subject_id=session.pk,
            reader=session.reader,
            expected_amount=session.charged_amount,
            rate=session.reader_rate,
            kind=TransactionKind.SESSION_SETTLEMENT,
            memo=f"Reading #{session.pk} settlement",
            session_id=session.pk,
        )
    except WalletHoldNotSettled as error:
        raise HoldNotSettled(f"Reading #{session.pk}: {error.message}")
    amount, reader_share, platform_share = settled.amount, settled.reader_amount, settled.platform_amount
    session.reader_share_amount = reader_share
    session.platform_share_amount = platform_share
    session.summary = {
        "started_at": session.accepted_at.isoformat() if session.accepted_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "modality": session.modality,
        "active_seconds": int(session.active_seconds),
        "minutes_billed": session.minutes_billed,
        "rate": f"{session.rate_amount:.2f}",
        "amount": f"{amount:.2f}",
        "reader_share": f"{reader_share:.2f}",
        "platform_share": f"{platform_share:.2f}",
        "reconnects": session.reconnect_count,
        "pauses": session.pause_count,
        "end_reason": session.end_reason,
    }
    session.save(update_fields=["reader_share_amount", "platform_share_amount", "summary"])
    session_transition(session=session, to_state=S.FINALIZED, reason="settled", now=now)
    if amount > 0:
        audit_log_record(
            actor=None,
            action="livesessions.session_settled",
            target=session,
            details={
                "amount": f"{amount:.2f}",
                "reader_share": f"{reader_share:.2f}",
                "minutes": session.minutes_billed,
            },
        )
    return session


def _finalize_prepaid(*, session: ReadingSession, now: datetime) -> ReadingSession:
    """A prepaid reading holds no money of its own: the app that was paid settles (``prepaid.py``), inside this
    transaction, and what it reports is the summary's. Inner helper of ``session_finalize`` (row locked)."""
    assert session.prepaid_subject_type and session.prepaid_subject_id is not None
    outcome = prepaid_subject_get(session.prepaid_subject_type).on_finished(
        reading=PrepaidReadingFinished(
            reading_id=session.pk,
            subject_type=session.prepaid_subject_type,
            subject_id=session.prepaid_subject_id,
            client_id=session.client_id,
            reader_id=session.reader_id,
            became_active=session.accepted_at is not None,
            ended_at=session.ended_at,
            end_reason=session.end_reason,
        )
    )
    session.reader_share_amount = outcome.reader_amount
    session.platform_share_amount = outcome.platform_amount
    session.summary = {
        "billing": session.billing,
        "started_at": session.accepted_at.isoformat() if session.accepted_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "booked_until": session.prepaid_until_at.isoformat() if session.prepaid_until_at else None,
        "modality": session.modality,
        "active_seconds": int(session.active_seconds),
        "minutes_billed": 0,
        "price": f"{session.prepaid_amount or 0:.2f}",
        "amount": f"{outcome.amount:.2f}",
        "reader_share": f"{outcome.reader_amount:.2f}",
        "platform_share": f"{outcome.platform_amount:.2f}",
        "note": outcome.note,
        "reconnects": session.reconnect_count,
        "end_reason": session.end_reason,
    }
    session.save(update_fields=["reader_share_amount", "platform_share_amount", "summary"])
    session_transition(session=session, to_state=S.FINALIZED, reason="settled", now=now)
    return session


@transaction.atomic(durable=True)
def session_settlement_failed(*, session_id: int, error: str) -> bool:
    """Record a failed settlement of an ended reading: one more attempt, and the error. The first time it
    reaches ``SETTLEMENT_ALERT_ATTEMPTS`` attempts, the admins are told (error log, audit row, a notification
    with email to every admin); a conditional UPDATE makes that happen once, whatever runs at the same time.
    Returns whether this call raised the alert."""
    ended = ReadingSession.objects.filter(pk=session_id, state=S.ENDED)
    ended.update(settlement_attempts=F("settlement_attempts") + 1, settlement_error=error[:2000])
    alerted = ended.filter(
        settlement_attempts__gte=SETTLEMENT_ALERT_ATTEMPTS, settlement_alerted_at__isnull=True
    ).update(settlement_alerted_at=db_now())
    if not alerted:
        return False
    session = ReadingSession.objects.get(pk=session_id)
    logger.error(
        "Reading %s could not be settled after %d attempts: %s",
        session_id,
        session.settlement_attempts,
        error,
        extra={"session_id": session_id, "settlement_attempts": session.settlement_attempts},
    )
    audit_log_record(
        actor=None,
        action="livesessions.settlement_stuck",
        target=session,
        details={"attempts": session.settlement_attempts, "error": error[:500]},
    )
    notify_admins(
        kind=NOTIFY_KIND_SETTLEMENT_STUCK,
        title=f"Reading #{session_id} cannot be settled",
        body=f"Settlement failed {session.settlement_attempts} times. Last error: {error[:500]}",
        url=reverse("staff_core:audit_log") + f"?target=livesessions.readingsession:{session_id}",
    )
    return True
