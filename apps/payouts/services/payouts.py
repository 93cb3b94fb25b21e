"""Payouts: requests, the weekly batch, the Stripe transfer and the money coming back (SPEC §3, §11).

Money: a payout moves ``earnings:<reader>`` → ``payouts:in_transit`` (kind ``payout``, key ``payout:<id>``) in
the same durable transaction as the Payout row and its outbox message. The message (``payouts.transfer_send``)
makes the Stripe transfer outside any transaction, with the idempotency key and transfer group ``payout-<id>``;
recording it moves ``payouts:in_transit`` → ``stripe:cash`` (key ``payout:<id>:transfer``). So a worker killed
between the commit and the Stripe call leaves a message that runs again (never a lost payout), and one killed
after the call but before recording it asks Stripe again with the same key, or finds the transfer by its group
(never a second transfer).

Money comes back to earnings (kind ``payout_reversal``): a transfer Stripe refuses or a disconnected account
(``payouts:in_transit`` → earnings, key ``payout:<id>:returned``), a transfer reversed at Stripe
(``stripe:cash`` → earnings, key ``payout:<id>:reversed:<cents reversed so far>``).

Every step is audited (`payouts.created`, `.transferred`, `.failed`, `.reversed`); the reader and, on a failure,
the admins are told.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import Role
from apps.core.outbox import outbox_enqueue
from apps.core.services import audit_log_record
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify, notify_admins
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.locks import accounts_lock
from apps.wallet.services.ledger import earnings_account, house_account, ledger_post, money

from .. import selectors
from ..enums import PayoutSource, PayoutStatus
from ..exceptions import (
    PayoutAccountNotVerified,
    PayoutAlreadyPending,
    PayoutBelowMinimum,
    PayoutsHeld,
    PayoutsPaused,
    ReaderNotFound,
)
from ..locks import (
    payout_account_lock,
    payout_accounts_lock_skip_locked,
    payout_lock,
)
from ..models import Payout, PayoutAccount, PayoutControl

logger = logging.getLogger(__name__)

TRANSFER_SEND = "payouts.transfer_send"
# The ledger subject of every payout transaction (``Transaction.subject_type`` / ``subject_id``).
PAYOUT_SUBJECT = "payout"
PAYOUT_SENT_KIND = notification_kind_register("account.payout_sent", label="A payout was sent to you")
PAYOUT_RETURNED_KIND = notification_kind_register(
    "account.payout_returned", label="A payout came back to your earnings"
)
PAYOUT_FAILED_ALERT = notification_kind_register("account.alert_payout_failed", label="Alert: a payout failed")
KYC_CHANGED_KIND = notification_kind_register("account.payout_kyc", label="Your payout account changed")


def transfer_group(payout_id: int) -> str:
    """The Stripe idempotency key and transfer group of one payout: fixed by its id, so every retry of its
    message (however late) names the same transfer."""
    return f"payout-{payout_id}"


def _pending_transfers_resend(*, reader_ids: list[int] | None, reason: str) -> int:
    """Queue the transfer of payouts that waited (a hold, the pause, KYC). Inner helper: caller holds the
    transaction. Each gets a new outbox message; the Stripe key stays the payout's, so nothing is paid twice."""
    pending = Payout.objects.filter(status=PayoutStatus.PENDING)
    if reader_ids is not None:
        pending = pending.filter(reader_id__in=reader_ids)
    stamp = timezone.now().isoformat()
    count = 0
    for payout_id in pending.values_list("pk", flat=True):
        outbox_enqueue(
            name=TRANSFER_SEND, kwargs={"payout_id": payout_id}, dedupe_key=f"payout:{payout_id}:{reason}:{stamp}"
        )
        count += 1
    return count


# --- payouts -----------------------------------------------------------------------------------------


def _payout_create(
    *, account: PayoutAccount, amount: Decimal, source: str, batch_key: str = "", actor: Any = None
) -> Payout:
    """Create the payout, move its money into transit and queue its transfer. Inner helper: the caller holds the
    transaction and the payout account's lock, and checked the rules."""
    payout = Payout.objects.create(
        reader_id=account.reader_id,
        amount=amount,
        source=source,
        batch_key=batch_key,
        stripe_account_id=account.stripe_account_id,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    reader = account.reader
    ledger_post(
        kind=TransactionKind.PAYOUT,
        idempotency_key=f"payout:{payout.pk}",
        postings=[(earnings_account(reader), -amount), (house_account("payouts:in_transit"), amount)],
        subject_type=PAYOUT_SUBJECT,
        subject_id=payout.pk,
        user=reader,
        actor=actor,
        memo=f"Payout {payout.pk} to your Stripe account",
    )
    outbox_enqueue(name=TRANSFER_SEND, kwargs={"payout_id": payout.pk}, dedupe_key=f"payout:{payout.pk}:transfer")
    audit_log_record(
        actor=actor,
        action="payouts.created",
        target=payout,
        details={"reader": reader.pk, "amount": str(amount), "source": source, "batch": batch_key},
    )
    return payout


def _available_locked(account: PayoutAccount) -> Decimal:
    """The reader's earnings, read under the earnings row lock. Inner helper."""
    earnings = earnings_account(account.reader)
    return accounts_lock([earnings.pk])[earnings.pk].balance


def _rules_check(account: PayoutAccount, control: PayoutControl) -> None:
    if control.is_paused:
        raise PayoutsPaused()
    if account.is_held:
        raise PayoutsHeld()
    if not account.is_verified:
        raise PayoutAccountNotVerified()


@transaction.atomic(durable=True)
def payout_request(*, reader: Any, request: HttpRequest | None = None) -> Payout:
    """A reader asks to be paid everything they have earned now (at least the minimum, $15 by default).

    Under the payout account's lock, so two requests at once make one payout (the second finds the earnings
    gone or the first payout pending)."""
    if not getattr(reader, "is_reader", False):
        raise ReaderNotFound()
    account = payout_account_lock(reader=reader)
    control = selectors.payout_control()
    _rules_check(account, control)
    if Payout.objects.filter(reader_id=reader.pk, status=PayoutStatus.PENDING).exists():
        raise PayoutAlreadyPending()
    available = _available_locked(account)
    minimum = selectors.request_minimum()
    if available < minimum:
        raise PayoutBelowMinimum(
            f"A payout needs at least ${minimum:.2f} of earnings; you have ${max(available, Decimal(0)):.2f}."
        )
    return _payout_create(account=account, amount=money(available), source=str(PayoutSource.REQUEST), actor=reader)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def payouts_batch_weekly(*, now: datetime | None = None) -> int:
    """Pay every verified, unheld reader whose earnings reach the batch minimum, once per ISO week.

    Set-based: the candidates come from one query; each reader is paid in a short transaction of their own,
    taking their payout account with SKIP LOCKED, so several workers share the work and none pays a reader twice
    (the week is unique per reader). Returns how many payouts were made."""
    now = now or timezone.now()
    if selectors.payout_control().is_paused:
        logger.info("payouts: weekly batch skipped, payouts are paused")
        return 0
    week = iso_week(now)
    candidates = list(
        PayoutAccount.objects.filter(
            reader__role=Role.READER,
            reader__is_active=True,
            is_held=False,
            background_check_done=True,
            stripe_account_id__isnull=False,
            deauthorized_at__isnull=True,
            payouts_enabled=True,
            reader__ledger_accounts__code__startswith="earnings:",
            reader__ledger_accounts__balance__gte=selectors.batch_minimum(),
        )
        .exclude(reader__payouts__batch_key=week)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    made = 0
    for pk in candidates:
        if _batch_one(account_pk=pk, week=week) is not None:
            made += 1
    return made


@transaction.atomic(durable=True)
def _batch_one(*, account_pk: int, week: str) -> Payout | None:
    locked = payout_accounts_lock_skip_locked(ids=[account_pk])
    if not locked:
        return None  # another worker has this reader
    account = locked[0]
    control = selectors.payout_control()
    if control.is_paused or account.is_held or not account.is_verified:
        return None
    if (
        Payout.objects.filter(reader_id=account.reader_id).filter(status=PayoutStatus.PENDING).exists()
        or Payout.objects.filter(reader_id=account.reader_id, batch_key=week, source=PayoutSource.WEEKLY).exists()
    ):
        return None
    available = _available_locked(account)
    if available < selectors.batch_minimum():
        return None
    return _payout_create(account=account, amount=money(available), source=str(PayoutSource.WEEKLY), batch_key=week)


def payout_transfer_send(*, payout_id: int) -> Payout:
    """Send one payout's transfer to Stripe (the outbox handler). Idempotent: a payout already transferred or
    returned is left alone; one that may not be sent now (paused, held, not verified) waits and is queued again
    when that changes. Stripe errors that may pass are raised (the outbox retries); a refusal returns the money."""
    payout = Payout.objects.select_related("reader__payout_account").get(pk=payout_id)
    if payout.status != PayoutStatus.PENDING:
        return payout
    account = payout.reader.payout_account
    if account.deauthorized_at is not None:
        return _payout_fail(payout_id=payout.pk, reason="The reader's Stripe account was disconnected from SoulSeer.")
    if selectors.payout_control().is_paused or account.is_held or not account.is_verified:
        logger.info("payouts: payout %s waits (paused, held or not verified)", payout.pk)
        return payout
    group = transfer_group(payout.pk)
    existing = stripe_gateway.transfers_of_group(group)
    if existing:
        transfer = existing[0]
    else:
        try:
            transfer = stripe_gateway.transfer_create(
                amount=payout.amount,
                destination=payout.stripe_account_id,
                transfer_group=group,
                metadata={"purpose": "reader_payout", "payout_id": str(payout.pk), "user_id": str(payout.reader_id)},
                idempotency_key=group,
            )
        except stripe_gateway.StripeError as error:
            status = getattr(error, "http_status", None)
            if status is not None and 400 <= status < 500 and status not in (409, 429):
                message = getattr(error, "user_message", None) or str(error)
                return _payout_fail(payout_id=payout.pk, reason=f"Stripe refused the transfer: {message}")
            raise
    return payout_transfer_record(payout_id=payout.pk, transfer=transfer)


@transaction.atomic(durable=True)
def payout_transfer_record(*, payout_id: int, transfer: dict[str, Any]) -> Payout:
    """Record the transfer Stripe made: the payout is paid and its money leaves ``payouts:in_transit``.

    A payout returned to earnings while its transfer was on the wire (the account was disconnected between the
    handler's check and Stripe's answer) is paid all the same, since the money did leave: it is taken from the
    earnings it was returned to (which may go below zero) and the admins are alerted."""
    payout = payout_lock(payout_id=payout_id)
    late = payout.status == PayoutStatus.FAILED and not payout.stripe_transfer_id
    if payout.status != PayoutStatus.PENDING and not late:
        return payout
    amount = stripe_gateway.from_cents(int(transfer["amount"]))
    if amount != payout.amount:
        raise ValueError(f"Transfer {transfer['id']} is for {amount}, payout {payout.pk} for {payout.amount}.")
    payout.status = PayoutStatus.PAID
    payout.stripe_transfer_id = transfer["id"]
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "stripe_transfer_id", "paid_at", "updated_at"])
    source = earnings_account(payout.reader) if late else house_account("payouts:in_transit")
    ledger_post(
        kind=TransactionKind.PAYOUT,
        idempotency_key=f"payout:{payout.pk}:transfer-after-return" if late else f"payout:{payout.pk}:transfer",
        postings=[(source, -payout.amount), (house_account("stripe:cash"), payout.amount)],
        subject_type=PAYOUT_SUBJECT,
        subject_id=payout.pk,
        user=payout.reader,
        memo=f"Payout {payout.pk}: Stripe transfer {transfer['id']}",
    )
    if late:
        notify_admins(
            kind=PAYOUT_FAILED_ALERT,
            title=f"Payout {payout.pk} was transferred after it had failed",
            body=(
                f"Stripe made transfer {transfer['id']} (${payout.amount}) after the payout was returned to the "
                f"reader's earnings ({payout.failure_reason}). It is booked as paid and taken from their earnings."
            ),
            url=reverse("staff_payouts:reader", kwargs={"reader_id": payout.reader_id}),
        )
    audit_log_record(
        actor=None,
        action="payouts.transferred",
        target=payout,
        details={"transfer": transfer["id"], "amount": str(payout.amount)},
    )
    notify(
        user=payout.reader,
        kind=PAYOUT_SENT_KIND,
        title=f"${payout.amount} is on its way to your bank account",
        body="Stripe sends it to your bank on your payout schedule; it usually arrives within a few days.",
        url=reverse("payouts:home"),
        email=True,
    )
    return payout


@transaction.atomic(durable=True)
def _payout_fail(*, payout_id: int, reason: str) -> Payout:
    payout = payout_lock(payout_id=payout_id)
    if payout.status != PayoutStatus.PENDING:
        return payout
    _payout_return(payout, reason=reason)
    return payout


def _payout_return(payout: Payout, *, reason: str) -> None:
    """A payout that never reached Stripe fails: its money goes back to earnings, the reader and the admins are
    told. Inner helper: the caller holds the transaction and the payout's lock."""
    payout.status = PayoutStatus.FAILED
    payout.failure_reason = reason
    payout.failed_at = timezone.now()
    payout.save(update_fields=["status", "failure_reason", "failed_at", "updated_at"])
    ledger_post(
        kind=TransactionKind.PAYOUT_REVERSAL,
        idempotency_key=f"payout:{payout.pk}:returned",
        postings=[
            (house_account("payouts:in_transit"), -payout.amount),
            (earnings_account(payout.reader), payout.amount),
        ],
        subject_type=PAYOUT_SUBJECT,
        subject_id=payout.pk,
        user=payout.reader,
        memo=f"Payout {payout.pk} failed; returned to earnings",
    )
    audit_log_record(
        actor=None, action="payouts.failed", target=payout, details={"amount": str(payout.amount), "reason": reason}
    )
    _tell_returned(payout, reason=reason, amount=payout.amount)


def _tell_returned(payout: Payout, *, reason: str, amount: Decimal) -> None:
    notify(
        user=payout.reader,
        kind=PAYOUT_RETURNED_KIND,
        title=f"Your payout of ${amount} came back to your earnings",
        body="It was not paid. The SoulSeer team has been told and will help; your earnings are safe.",
        url=reverse("payouts:home"),
        email=True,
    )
    notify_admins(
        kind=PAYOUT_FAILED_ALERT,
        title=f"Payout {payout.pk} failed (${amount})",
        body=f"{reason} The money is back in the reader's earnings.",
        url=reverse("staff_payouts:queue"),
    )


@transaction.atomic(durable=True)
def payout_transfer_reversed(*, transfer: dict[str, Any], stripe_event_id: str = "") -> Payout | None:
    """``transfer.reversed``: what Stripe took back from the reader's account returns to their earnings. Keyed by
    the total reversed so far, so a replay or a second partial reversal each book exactly their part."""
    payout_id = Payout.objects.filter(stripe_transfer_id=transfer.get("id")).values_list("pk", flat=True).first()
    if payout_id is None:
        return None
    payout = payout_lock(payout_id=payout_id)
    reversed_total = stripe_gateway.from_cents(int(transfer.get("amount_reversed") or 0))
    reversed_total = min(reversed_total, payout.amount)
    delta = reversed_total - payout.reversed_amount
    if delta <= 0:
        return payout
    ledger_post(
        kind=TransactionKind.PAYOUT_REVERSAL,
        idempotency_key=f"payout:{payout.pk}:reversed:{stripe_gateway.to_cents(reversed_total)}",
        postings=[(house_account("stripe:cash"), -delta), (earnings_account(payout.reader), delta)],
        subject_type=PAYOUT_SUBJECT,
        subject_id=payout.pk,
        user=payout.reader,
        memo=f"Payout {payout.pk}: transfer {transfer['id']} reversed",
        stripe_event_id=stripe_event_id,
    )
    payout.reversed_amount = reversed_total
    fields = ["reversed_amount", "updated_at"]
    if reversed_total == payout.amount:
        payout.status = PayoutStatus.REVERSED
        fields.append("status")
    payout.save(update_fields=fields)
    audit_log_record(
        actor=None,
        action="payouts.reversed",
        target=payout,
        details={"transfer": transfer["id"], "returned": str(delta), "reversed_total": str(reversed_total)},
    )
    _tell_returned(payout, reason=f"Stripe transfer {transfer['id']} was reversed.", amount=delta)
    return payout


@transaction.atomic(durable=True)
def connect_payout_failed(*, stripe_payout: dict[str, Any], stripe_account_id: str) -> PayoutAccount | None:
    """A payout from the reader's Stripe balance to their bank failed (``payout.failed`` on their account).

    The money stays in their Stripe balance (Stripe pays it again once the bank details are fixed), so nothing
    moves in our ledger; the reader is asked to fix their bank details and the admins are alerted."""
    reader_id = (
        PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).values_list("reader", flat=True).first()
    )
    if reader_id is None:
        return None
    account = PayoutAccount.objects.select_related("reader").get(reader_id=reader_id)
    amount = stripe_gateway.from_cents(int(stripe_payout.get("amount") or 0))
    reason = stripe_payout.get("failure_message") or stripe_payout.get("failure_code") or "no reason given"
    audit_log_record(
        actor=None,
        action="payouts.bank_payout_failed",
        target=account,
        details={"stripe_payout": stripe_payout.get("id"), "amount": str(amount), "reason": reason},
    )
    notify(
        user=account.reader,
        kind=PAYOUT_RETURNED_KIND,
        title=f"Your bank could not receive ${amount}",
        body=f"Stripe says: {reason}. Update your bank details with Stripe; the money waits in your Stripe balance.",
        url=reverse("payouts:home"),
        email=True,
    )
    notify_admins(
        kind=PAYOUT_FAILED_ALERT,
        title=f"A bank payout of ${amount} failed",
        body=f"Stripe payout {stripe_payout.get('id')} to reader {reader_id}'s bank failed: {reason}.",
        url=reverse("staff_payouts:reader", kwargs={"reader_id": reader_id}),
    )
    return account
