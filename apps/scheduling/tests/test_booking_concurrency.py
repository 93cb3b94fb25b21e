"""Bookings racing for one reader's time over separate database connections: the database decides, exactly one
booking holds any instant, the losers are told plainly and pay nothing, and the ledger stays clean."""

from datetime import UTC, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.scheduling.models import Booking
from apps.scheduling.services.booking import SlotTaken, SlotUnavailable, booking_create
from apps.scheduling.tests.factories import ReaderScheduleFactory, weekly_windows
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.holds import hold_find
from tests.support.money import top_up
from tests.support.racing import race

CLIENTS = 8


def _setup():
    cache.clear()
    schedule = ReaderScheduleFactory()
    weekly_windows(schedule.reader, start=time(0), end=time(0))
    clients = [UserFactory() for _ in range(CLIENTS)]
    for client in clients:
        top_up(client, "100.00")
    start = (timezone.now() + timedelta(days=3)).astimezone(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    return schedule.reader, clients, start


def _booking(client, reader, starts_at, duration):
    return lambda: booking_create(
        client=client,
        reader_id=reader.pk,
        starts_at=starts_at,
        duration_minutes=duration,
        modality="text",
        idempotency_key=f"race-{client.pk}",
    )


def _check(outcomes, clients, price):
    winners = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    losers = [outcome for outcome in outcomes if not isinstance(outcome, Booking)]
    assert len(winners) == 1, outcomes
    assert len(losers) == CLIENTS - 1
    assert all(isinstance(error, SlotTaken) for error in losers), losers
    assert all(error.message == "That time was just taken — please pick another slot." for error in losers)
    winner = winners[0]
    assert Booking.objects.count() == 1
    assert hold_find("booking", winner.pk).balance == price
    for client in clients:
        expected = Decimal("100.00") - (price if client.pk == winner.client_id else 0)
        assert wallet_balance(user=client) == expected
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_booking_create_eight_clients_race_for_the_same_slot_one_wins():
    # given eight funded clients and one open slot
    reader, clients, start = _setup()
    # when they all confirm it at the same instant, each on their own connection
    outcomes = race(*(_booking(client, reader, start, 30) for client in clients))
    # then
    _check(outcomes, clients, Decimal("60.00"))


@pytest.mark.django_db(transaction=True)
def test_booking_create_eight_clients_race_for_overlapping_slots_one_wins():
    # given eight funded clients, each after a different 45-minute slot, every one overlapping all the others
    reader, clients, start = _setup()
    starts = [start + timedelta(minutes=15 * (index % 3)) for index in range(CLIENTS)]
    # when
    outcomes = race(*(_booking(client, reader, at, 45) for client, at in zip(clients, starts, strict=True)))
    # then
    _check(outcomes, clients, Decimal("90.00"))


@pytest.mark.django_db(transaction=True)
def test_booking_create_racing_the_reader_blocking_that_time_never_books_inside_an_earlier_block():
    # given a slot, three funded clients after it, and the reader about to block the whole morning
    from datetime import datetime

    from apps.scheduling.models import TimeBlock
    from apps.scheduling.services.availability import time_block_add

    reader, clients, start = _setup()
    london = start.astimezone(ZoneInfo("Europe/London"))
    morning = datetime.combine(london.date(), time(6)), datetime.combine(london.date(), time(13))
    # when the block and the bookings land at the same instant
    outcomes = race(
        lambda: time_block_add(actor=reader, starts_local=morning[0], ends_local=morning[1]),
        *(_booking(client, reader, start, 30) for client in clients[:3]),
    )
    # then the schedule lock puts them in one order: a booking made after the block was refused ("not open"),
    # one made before it stands (the reader cancels it if they must), and no two bookings overlap
    block = TimeBlock.objects.get()
    assert isinstance(outcomes[0], TimeBlock)
    bookings = list(Booking.objects.all())
    assert len(bookings) <= 1
    for booking in bookings:
        assert booking.created_at < block.created_at
    refusals = [outcome for outcome in outcomes[1:] if isinstance(outcome, Exception)]
    assert all(isinstance(error, (SlotTaken, SlotUnavailable)) for error in refusals), refusals
    assert len(refusals) == 3 - len(bookings)
    call_command("ledger_check")
