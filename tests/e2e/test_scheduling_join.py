"""A booked chat reading in two real browsers side by side (client and reader), billed flat.

The booking (paid at booking into its hold) starts now; both join from the booking's join page at the booked
time and land in the same room as on-demand readings; the reading starts by itself when both are present; they
chat; the client ends it. No minute is ever charged; the summary shows the flat price, the hold settles 70/30
(the reader's earnings show the 70% share), and ``ledger_check`` stays clean. axe-core runs on the join page,
the room and the summary. Both pages run on Playwright's clock, moved to the room's next poll after each change.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readers.tests.factories import ReaderProfileFactory
from apps.readings.enums import Billing, SessionState
from apps.readings.models import ReadingSession, SessionMessage
from apps.readings.services import session_bill_tick
from apps.scheduling.enums import BookingStatus, Modality
from apps.scheduling.models import Booking
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from apps.wallet.models import Account, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import earnings_account, wallet_account
from apps.wallet.services.ledger_check import ledger_check_collect
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session
from tests.e2e.reading_room import ROOM_POLL_MS, chat_sent, room_reloads_into
from tests.support.money import top_up


def _status(page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().strip()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_booked_chat_reading_both_join_chat_end_flat_price_and_reader_share(live_server, new_page):
    base = live_server.url
    # given a reader in London and a client in Los Angeles, with a 30-minute chat booking at $2.00/min starting now
    profile = ReaderProfileFactory(display_name="Luna Starlight", scheduled_rate_amount=Decimal("2.00"))
    reader = profile.user
    reader.timezone = "Europe/London"
    reader.save(update_fields=["timezone"])
    ReaderScheduleFactory(reader=reader)
    client_user = UserFactory(
        email="seeker.booked@example.com", display_name="Sam Seeker", timezone="America/Los_Angeles"
    )
    top_up(client_user, "100.00")
    booking = booking_funded(
        client=client_user,
        reader=reader,
        starts_at=timezone.now() - timedelta(seconds=30),
        duration_minutes=30,
        rate_amount=Decimal("2.00"),
        modality=Modality.TEXT,
        client_timezone="America/Los_Angeles",
        reader_timezone="Europe/London",
    )
    client_page = new_page(reduced_motion="reduce", viewport={"width": 390, "height": 844})  # a phone
    reader_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 1000})
    client_page.clock.install()
    reader_page.clock.install()
    sign_in_with_session(client_page, base, client_user)
    sign_in_with_session(reader_page, base, reader)

    # --- The client joins at the booked time and waits for the reader --------------------------------
    client_page.goto(base + reverse("scheduling_join:page", args=[booking.pk]))
    client_page.get_by_role("heading", name="Your booked reading with Luna Starlight").wait_for()
    assert _status(client_page, "join-price") == "$60.00"
    assert "Starts (America/Los_Angeles)" in client_page.locator("main").inner_text()
    assert_axe_clean(client_page)
    client_page.get_by_role("button", name="Join the chat reading").click()
    client_page.get_by_test_id("room-waiting-other").wait_for()
    assert "Waiting for Luna Starlight to join" in _status(client_page, "room-waiting-other")
    assert client_page.get_by_role("button", name="Withdraw request").count() == 0
    assert_axe_clean(client_page)
    reading = ReadingSession.objects.get()
    assert reading.billing == Billing.PREPAID and reading.state == SessionState.WAITING

    # --- The reader joins: with both present the reading starts by itself, on both sides ----------------
    reader_page.goto(base + reverse("scheduling_join:page", args=[booking.pk]))
    reader_page.get_by_role("button", name="Join the chat reading").click()
    reader_page.get_by_role("heading", name="Chat").wait_for(timeout=20_000)
    room_reloads_into(client_page, SessionState.ACTIVE)
    client_page.get_by_role("heading", name="Chat").wait_for(timeout=20_000)
    assert _status(client_page, "room-state") == "In progress"
    assert _status(client_page, "room-prepaid-price") == "$60.00"
    assert re.fullmatch(r"(29|30) min", _status(client_page, "room-booked-left"))
    assert client_page.get_by_test_id("room-low-balance").count() == 0
    assert_axe_clean(reader_page)

    # --- They chat ----------------------------------------------------------------------------------------
    client_page.get_by_label("Your message").fill("Hello Luna, thank you for making time for me.")
    client_page.get_by_role("button", name="Send message").click()
    chat_sent(client_page, "Hello Luna, thank you for making time for me.")
    reader_page.clock.fast_forward(ROOM_POLL_MS)  # the reader's chat poll
    reader_page.get_by_text("Hello Luna, thank you for making time for me.").wait_for(timeout=10_000)
    reader_page.get_by_label("Your message").fill("Welcome, Sam. Let us begin with one card.")
    reader_page.keyboard.press("Enter")
    chat_sent(reader_page, "Welcome, Sam. Let us begin with one card.")
    client_page.clock.fast_forward(ROOM_POLL_MS)  # the client's chat poll
    client_page.get_by_text("Welcome, Sam. Let us begin with one card.").wait_for(timeout=10_000)
    assert SessionMessage.objects.filter(session=reading).count() == 2
    session_bill_tick(session_id=reading.pk)  # the beat's tick: nothing to charge
    assert not Transaction.objects.filter(session_id=reading.pk).exists()

    # --- The client ends it; the settlement runs (the worker's job, run here) ---------------------------
    # The reader's room holds still until the test looks at it: its clock stops (a second ahead), so it neither
    # polls nor reloads by itself meanwhile.
    reader_page.clock.pause_at(reader_page.evaluate("Date.now()") / 1000 + 1)
    client_page.once("dialog", lambda dialog: dialog.accept())
    client_page.get_by_role("button", name="End reading").click()
    client_page.get_by_role("heading", name="Summary").wait_for()
    session_bill_tick(session_id=reading.pk)
    reading.refresh_from_db()
    booking.refresh_from_db()
    assert reading.state == SessionState.FINALIZED
    assert booking.status == BookingStatus.COMPLETED

    # then the summary shows the flat price and the reader's share, to both
    client_page.reload()
    assert _status(client_page, "summary-prepaid-price") == "Flat price $60.00, paid at booking"
    assert _status(client_page, "summary-amount") == "$60.00"
    assert _status(client_page, "summary-reader-share") == "$42.00"
    assert_axe_clean(client_page)
    # the reader's room sees the end by itself at its next status poll and links to the summary (room.js would
    # reload it 1.2 s later, and the room of an ended reading sends its parties to the summary: the stopped clock
    # holds that back)
    reader_page.clock.run_for(ROOM_POLL_MS)
    reader_page.locator("#room-summary-link").click(timeout=20_000)
    reader_page.wait_for_url(f"**{reverse('readings:summary', args=[reading.pk])}")
    assert _status(reader_page, "summary-amount") == "$60.00"

    # and the reader's earnings show the 70% share; the hold is empty; the wallet paid the price once
    reader_page.goto(base + reverse("readings:history"))
    assert _status(reader_page, "earnings-balance") == "$42.00"
    assert balance_of(earnings_account(reader)) == Decimal("42.00")
    assert Account.objects.get(code=f"hold:booking:{booking.pk}").balance == Decimal("0.00")
    assert balance_of(wallet_account(client_user)) == Decimal("40.00")
    assert Booking.objects.get(pk=booking.pk).reader_share_amount == Decimal("42.00")
    report = ledger_check_collect()
    assert report["ok"], report
