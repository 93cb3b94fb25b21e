"""Dashboards in use: a client, a reader and an admin whose sections all have rows to show.

Shared by the view tests (the page's query count must not grow with the rows) and the browser test (the page
must not move while it loads), so both look at the same dashboards."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory, give_totp, reader_application_create
from apps.analytics.tests.helpers import reading_ended
from apps.messaging.tests.factories import fund_wallet, listed_reader
from apps.pages.tests.factories import SupportTicketFactory
from apps.payouts.models import Payout
from apps.payouts.tests.helpers import earn
from apps.readers.models import Favorite
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows


@dataclass
class DashboardCast:
    client: Any
    reader: Any
    admin: Any


def dashboard_cast() -> DashboardCast:
    """The three people, with a listed reader who takes bookings, and an admin with TOTP (admins must)."""
    reader = listed_reader(display_name="Vega Starling").user
    ReaderScheduleFactory(reader=reader)
    weekly_windows(reader)
    admin = AdminFactory()
    give_totp(admin)
    return DashboardCast(client=UserFactory(display_name="Morgan"), reader=reader, admin=admin)


def dashboard_rows_add(cast: DashboardCast, count: int) -> None:
    """``count`` more rows in every list the dashboards show: favorite readers, wallet entries, bookings,
    readings, earnings, payouts, support tickets and reader applications."""
    now = timezone.now()
    existing = cast.client.client_bookings.count()
    for n in range(count):
        Favorite.objects.create(user=cast.client, reader=listed_reader())
        fund_wallet(cast.client, Decimal("80.00"))
        booking_funded(
            client=cast.client,
            reader=cast.reader,
            starts_at=(now + timedelta(days=2 + existing + n)).replace(microsecond=0),
            idempotency_key=f"dashboard-rows:{cast.client.pk}:{existing + n}:{now.timestamp()}",
        )
        reading_ended(client=cast.client, reader=cast.reader, ended_at=now - timedelta(hours=n + 1), minutes=5 + n)
        earn(cast.reader, Decimal("12.50"))
        Payout.objects.create(
            reader=cast.reader,
            amount=Decimal("20.00"),
            source="request",
            status="paid",
            stripe_account_id="acct_dashboard",
            stripe_transfer_id=f"tr_dashboard_{cast.reader.pk}_{existing + n}",
        )
        # The admins' queue: one pending payout per reader is all a reader may have.
        Payout.objects.create(
            reader=ReaderFactory(), amount=Decimal("20.00"), source="request", stripe_account_id="acct_queue"
        )
        SupportTicketFactory()
        reader_application_create(UserFactory())
