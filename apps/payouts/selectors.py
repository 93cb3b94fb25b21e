"""Reads of the payouts app. Scoping happens here: a reader sees only their own payouts; staff lists are for staff
views only (guarded by ``staff_required``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.accounts.enums import Role
from apps.core.db import prepared_cursor
from apps.wallet.selectors import earnings_balance

from .constants import BATCH_HOUR_UTC, BATCH_WEEKDAY, REQUIREMENT_WORDS
from .enums import PayoutStatus
from .exceptions import ReaderNotFound
from .models import Payout, PayoutAccount, PayoutControl


def share_rate_of(reader: Any) -> Decimal | None:
    """The revenue share an admin set for ``reader`` (None: the platform's rate). The wallet's ``reader_rate``
    calls this, and only it."""
    if reader is None or getattr(reader, "pk", None) is None:
        return None
    # Read by every payment to a reader (each gift, ticket, paid reply): one plain statement, not a queryset
    # compiled on every call.
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT share_rate FROM {PayoutAccount._meta.db_table} WHERE reader_id = %s", [reader.pk])  # noqa: S608  # nosec B608: a model table
        row = cursor.fetchone()
    return None if row is None else row[0]


def payout_account_of(*, reader: Any) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(reader_id=reader.pk).first()


def payout_control() -> PayoutControl:
    return PayoutControl.objects.filter(pk=1).first() or PayoutControl(pk=1)


def earnings_available(*, reader: Any) -> Decimal:
    """What ``earnings:<reader>`` holds (its cached balance, kept under a row lock by the ledger)."""
    return earnings_balance(user=reader)


def request_minimum() -> Decimal:
    return Decimal(str(settings.PAYOUT_REQUEST_MINIMUM))


def batch_minimum() -> Decimal:
    return Decimal(str(settings.PAYOUT_BATCH_MINIMUM))


def next_batch_at(*, now: datetime | None = None) -> datetime:
    """When the weekly batch runs next (UTC; templates show it in the viewer's zone)."""
    now = now or timezone.now()
    candidate = now.astimezone(UTC).replace(hour=BATCH_HOUR_UTC, minute=0, second=0, microsecond=0)
    candidate += timedelta(days=(BATCH_WEEKDAY - candidate.weekday()) % 7)
    if candidate <= now:
        candidate += timedelta(days=7)
    return candidate


@dataclass(frozen=True)
class PayoutStanding:
    """Where a reader stands: what they can be paid, and in plain words what stops it."""

    account: PayoutAccount | None
    available: Decimal
    pending: Payout | None
    blockers: list[str]
    requirements: list[str]
    paused: bool

    @property
    def can_request(self) -> bool:
        return not self.blockers and self.pending is None and self.available >= request_minimum()


def requirement_words(codes: list[str]) -> list[str]:
    words = []
    for code in codes:
        word = REQUIREMENT_WORDS.get(code)
        if word is None:
            word = code.rsplit(".", 1)[-1].replace("_", " ")
        if word not in words:
            words.append(word)
    return words


def payout_blockers(account: PayoutAccount | None, control: PayoutControl) -> list[str]:
    """Why this reader cannot be paid now, in plain words ([] when nothing stops it)."""
    blockers = []
    if control.is_paused:
        blockers.append("Payouts are paused by the SoulSeer team for now. Your earnings are safe.")
    if account is None or not account.stripe_account_id:
        blockers.append("Set up your payout account with Stripe so we can send you your earnings.")
        return blockers
    if account.deauthorized_at is not None:
        blockers.append("Your Stripe account was disconnected from SoulSeer. Set up payouts again to be paid.")
        return blockers
    if account.is_held:
        blockers.append("Your payouts are on hold while the SoulSeer team reviews your account.")
    if account.disabled_reason or account.requirements_past_due:
        blockers.append("Stripe has paused payouts to your account until it gets the details listed below.")
    elif not account.details_submitted:
        blockers.append("Finish your Stripe setup: Stripe still needs a few details from you.")
    elif not (account.payouts_enabled and account.transfers_active):
        blockers.append("Stripe is still checking your details. This usually takes a few minutes to a day.")
    if not account.background_check_done:
        blockers.append("The SoulSeer team is finishing its own checks of your account.")
    return blockers


def payout_standing(*, reader: Any) -> PayoutStanding:
    account = payout_account_of(reader=reader)
    control = payout_control()
    requirements: list[str] = []
    if account is not None:
        requirements = requirement_words(list(account.requirements_past_due) + list(account.requirements_currently_due))
    return PayoutStanding(
        account=account,
        available=earnings_available(reader=reader),
        pending=Payout.objects.filter(reader_id=reader.pk, status=PayoutStatus.PENDING).first(),
        blockers=payout_blockers(account, control),
        requirements=requirements,
        paused=control.is_paused,
    )


def payout_list(*, viewer: Any) -> QuerySet[Payout]:
    """The viewer's own payouts, newest first."""
    return Payout.objects.filter(reader_id=viewer.pk).order_by("-created_at", "-pk")


# --- staff -------------------------------------------------------------------------------------------


def payout_queue() -> QuerySet[Payout]:
    """Payouts on their way (oldest first), with their reader and the reader's payout account."""
    return (
        Payout.objects.filter(status=PayoutStatus.PENDING)
        .select_related("reader", "reader__reader_profile", "reader__payout_account")
        .order_by("created_at", "pk")
    )


def payouts_recent_settled() -> QuerySet[Payout]:
    return (
        Payout.objects.exclude(status=PayoutStatus.PENDING)
        .select_related("reader", "reader__reader_profile")
        .order_by("-updated_at", "-pk")
    )


def payout_accounts_flagged() -> QuerySet[PayoutAccount]:
    """Readers whose payouts need an admin: held, disconnected, overdue with Stripe, or not background-checked."""
    from django.db.models import Q

    return (
        PayoutAccount.objects.filter(
            Q(is_held=True)
            | Q(deauthorized_at__isnull=False)
            | ~Q(disabled_reason="")
            | ~Q(requirements_past_due=[])
            | Q(stripe_account_id__isnull=False, background_check_done=False)
        )
        .select_related("reader", "reader__reader_profile")
        .order_by("pk")
    )


def reader_get_for_staff(*, reader_id: int) -> Any:
    """A reader (user) by id for the staff pages; anyone else is not found."""
    reader = get_user_model().objects.filter(pk=reader_id, role=Role.READER).select_related("reader_profile").first()
    if reader is None:
        raise ReaderNotFound()
    return reader


def in_transit_total() -> Decimal:
    return Payout.objects.filter(status=PayoutStatus.PENDING).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
