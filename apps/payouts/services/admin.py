"""What admins decide about payouts: a reader's revenue share, their KYC flags, a hold; the global pause.
Every change is audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core.services import audit_log_record

from .. import selectors
from ..constants import SHARE_RATE_MAX, SHARE_RATE_MIN
from ..exceptions import ReasonRequired, ShareRateInvalid
from ..locks import payout_account_lock, payout_control_lock
from ..models import PayoutAccount, PayoutControl
from .payouts import _pending_transfers_resend

# --- revenue share, KYC flags, hold (admins) ---------------------------------------------------------


@transaction.atomic(durable=True)
def payout_share_rate_set(
    *, actor: Any, reader_id: int, rate: Decimal | str | None, request: HttpRequest | None = None
) -> PayoutAccount:
    """Set a reader's share of what clients pay (0.50–0.90), or None for the platform's rate. New charges use
    it; readings already requested keep the rate they were requested at."""
    reader = selectors.reader_get_for_staff(reader_id=reader_id)
    if rate is not None and rate != "":
        try:
            rate = Decimal(str(rate)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            raise ShareRateInvalid()
        if not SHARE_RATE_MIN <= rate <= SHARE_RATE_MAX:
            raise ShareRateInvalid()
    else:
        rate = None
    account = payout_account_lock(reader=reader)
    before = account.share_rate
    if before == rate:
        return account
    account.share_rate = rate
    account.save(update_fields=["share_rate", "updated_at"])
    audit_log_record(
        actor=actor,
        action="payouts.share_rate_set",
        target=account,
        details={
            "reader": reader.pk,
            "from": None if before is None else str(before),
            "to": None if rate is None else str(rate),
        },
        request=request,
    )
    return account


@transaction.atomic(durable=True)
def payout_kyc_flags_set(
    *, actor: Any, reader_id: int, background_check_done: bool, note: str, request: HttpRequest | None = None
) -> PayoutAccount:
    """The admins' own KYC flags of a reader (audited). Clearing the background check stops their payouts."""
    reader = selectors.reader_get_for_staff(reader_id=reader_id)
    account = payout_account_lock(reader=reader)
    before = {"background_check_done": account.background_check_done, "note": account.kyc_note}
    account.background_check_done = bool(background_check_done)
    account.kyc_note = note.strip()[:2000]
    if before == {"background_check_done": account.background_check_done, "note": account.kyc_note}:
        return account
    account.save(update_fields=["background_check_done", "kyc_note", "updated_at"])
    audit_log_record(
        actor=actor,
        action="payouts.kyc_flags_set",
        target=account,
        details={"reader": reader.pk, "from": before, "background_check_done": account.background_check_done},
        request=request,
    )
    _pending_transfers_resend(reader_ids=[reader.pk], reason="kyc")
    return account


@transaction.atomic(durable=True)
def payout_hold(*, actor: Any, reader_id: int, reason: str, request: HttpRequest | None = None) -> PayoutAccount:
    """Stop paying a reader (their earnings stay; a payout on its way waits). Audited."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Say why the payouts are held; the reason is kept in the audit log.")
    reader = selectors.reader_get_for_staff(reader_id=reader_id)
    account = payout_account_lock(reader=reader)
    if account.is_held:
        return account
    account.is_held, account.held_reason, account.held_at = True, reason[:2000], timezone.now()
    account.save(update_fields=["is_held", "held_reason", "held_at", "updated_at"])
    audit_log_record(
        actor=actor,
        action="payouts.held",
        target=account,
        details={"reader": reader.pk, "reason": reason},
        request=request,
    )
    return account


@transaction.atomic(durable=True)
def payout_release(*, actor: Any, reader_id: int, request: HttpRequest | None = None) -> PayoutAccount:
    """Pay a held reader again; a payout that waited is sent now. Audited."""
    reader = selectors.reader_get_for_staff(reader_id=reader_id)
    account = payout_account_lock(reader=reader)
    if not account.is_held:
        return account
    reason = account.held_reason
    account.is_held, account.held_reason, account.held_at = False, "", None
    account.save(update_fields=["is_held", "held_reason", "held_at", "updated_at"])
    audit_log_record(
        actor=actor,
        action="payouts.released",
        target=account,
        details={"reader": reader.pk, "held_because": reason},
        request=request,
    )
    _pending_transfers_resend(reader_ids=[reader.pk], reason="release")
    return account


@transaction.atomic(durable=True)
def payouts_pause(*, actor: Any, reason: str, request: HttpRequest | None = None) -> PayoutControl:
    """Pause every payout on the platform (none is created or sent until resumed). Audited."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Say why payouts are paused; the reason is kept in the audit log.")
    control = payout_control_lock()
    if control.is_paused:
        return control
    control.is_paused, control.reason, control.changed_at, control.changed_by = (
        True,
        reason[:2000],
        timezone.now(),
        actor,
    )
    control.save()
    audit_log_record(actor=actor, action="payouts.paused", target=control, details={"reason": reason}, request=request)
    return control


@transaction.atomic(durable=True)
def payouts_resume(*, actor: Any, request: HttpRequest | None = None) -> PayoutControl:
    control = payout_control_lock()
    if not control.is_paused:
        return control
    reason = control.reason
    control.is_paused, control.reason, control.changed_at, control.changed_by = False, "", timezone.now(), actor
    control.save()
    audit_log_record(
        actor=actor, action="payouts.resumed", target=control, details={"paused_because": reason}, request=request
    )
    _pending_transfers_resend(reader_ids=None, reason="resume")
    return control
