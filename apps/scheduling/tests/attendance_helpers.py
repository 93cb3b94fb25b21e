"""Set-up of the attendance and settlement tests: a funded booking around now, both sides in its room."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readings.enums import Modality
from apps.readings.models import ReadingSession
from apps.readings.services import session_heartbeat
from apps.scheduling.models import Booking
from apps.scheduling.services.attendance import booking_join
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from apps.wallet.models import Account
from tests.support.money import top_up

WALLET = Decimal("100.00")


def booking_now(
    *,
    started_minutes_ago: float = 1,
    duration_minutes: int = 30,
    rate_amount: Decimal = Decimal("2.00"),
    modality: str = Modality.TEXT,
    reader: Any = None,
    client: Any = None,
) -> Booking:
    """A confirmed, funded booking that started ``started_minutes_ago`` (negative: starts later). The client's
    wallet held WALLET before booking."""
    reader = reader or ReaderScheduleFactory().reader
    if client is None:
        client = UserFactory()
        top_up(client, WALLET)
    starts_at = timezone.now() - timedelta(minutes=started_minutes_ago)
    return booking_funded(
        client=client,
        reader=reader,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        rate_amount=rate_amount,
        modality=modality,
        idempotency_key=f"test:{client.pk}:{starts_at.isoformat()}",
    )


def both_in_room(booking: Booking, *, now: datetime | None = None) -> ReadingSession:
    """Both parties join and send a heartbeat: the booking's reading is active."""
    booking_join(booking_id=booking.pk, user=booking.client)
    booking_join(booking_id=booking.pk, user=booking.reader)
    booking.refresh_from_db()
    assert booking.reading_id is not None
    now = now or timezone.now()
    session_heartbeat(user=booking.client, session_id=booking.reading_id, now=now)
    session_heartbeat(user=booking.reader, session_id=booking.reading_id, now=now)
    return ReadingSession.objects.get(pk=booking.reading_id)


def balance(code: str) -> Decimal:
    account = Account.objects.filter(code=code).first()
    return account.balance if account else Decimal("0.00")


def house_balance(code: str) -> Decimal:
    from apps.wallet.selectors import balance_of

    account = Account.objects.filter(code=code).first()
    return balance_of(account) if account else Decimal("0.00")
