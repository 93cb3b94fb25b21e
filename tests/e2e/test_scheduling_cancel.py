"""Cancelling a booked reading in a real browser.

A client in Los Angeles with a reading booked 10 hours ahead opens their bookings, sees the 50% refund quoted on
the booking and again before confirming, confirms the browser's question, and finds the refund in their wallet.
The reader's booking pages, the page to move a booking, and the admin's booking pages are axe-core clean too, and
the client's list fits a phone's screen.
"""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.readers.models import ReaderProfile
from apps.scheduling.enums import BookingStatus
from apps.scheduling.models import Booking
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from tests.e2e.conftest import assert_axe_clean, posts_to, sign_in_with_session
from tests.support.money import top_up


def _on_the_quarter(hours_ahead: float):
    starts_at = (timezone.now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    return starts_at - timedelta(minutes=starts_at.minute % 15)


@pytest.fixture
def booked(db):
    """Luna (London) and a Los Angeles client who paid $60.00 for 30 minutes 10 hours from now, and booked again
    three days ahead; $2.00 is left in the wallet."""
    schedule = ReaderScheduleFactory(timezone="Europe/London")
    weekly_windows(schedule.reader, start=time(0), end=time(0))
    reader = schedule.reader
    reader.timezone = "Europe/London"
    reader.save(update_fields=["timezone"])
    ReaderProfile.objects.filter(user=reader).update(display_name="Luna Starlight")
    client = UserFactory(email="seeker.bookings@example.com", timezone="America/Los_Angeles")
    top_up(client, "122.00")
    soon = booking_funded(
        client=client,
        reader=reader,
        starts_at=_on_the_quarter(10),
        client_timezone=client.timezone,
        reader_timezone=reader.timezone,
    )
    later = booking_funded(
        client=client,
        reader=reader,
        starts_at=_on_the_quarter(72),
        client_timezone=client.timezone,
        reader_timezone=reader.timezone,
    )
    return soon, later


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_client_cancels_ten_hours_ahead_sees_the_half_refund_quoted_then_in_the_wallet(live_server, new_page, booked):
    # given
    soon, later = booked
    base = live_server.url
    page = new_page()
    sign_in_with_session(page, base, soon.client)

    # when: the client opens their bookings from the account menu's "Bookings" entry
    page.goto(base + reverse("scheduling_manage:client_list"))
    expect(page.get_by_role("heading", name="Your bookings")).to_be_visible()
    assert page.locator(f'a[href="{reverse("scheduling_manage:client_list")}"]').count() >= 1
    assert_axe_clean(page)
    page.locator(f'a[href="{reverse("scheduling_manage:detail", args=[soon.pk])}"]').first.click()

    # then: the booking shows both zones and the refund of cancelling now
    expect(page.get_by_test_id("refund-quote")).to_contain_text("$30.00 back (50% of $60.00)")
    expect(page.get_by_test_id("booking-facts")).to_contain_text("America/Los_Angeles")
    expect(page.get_by_test_id("booking-facts")).to_contain_text("Europe/London")
    assert_axe_clean(page)

    # when: they go to cancel, and the question names the refund before anything is sent
    page.get_by_role("link", name="Cancel the booking").click()
    expect(page.get_by_test_id("refund-quote")).to_contain_text("You get $30.00 back in your wallet: 50% of the $60.00")
    assert_axe_clean(page)
    questions: list[str] = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    cancel_url = base + reverse("scheduling_manage:cancel", args=[soon.pk])
    cancel_posts = posts_to(page, cancel_url)
    page.once("dialog", dismiss)
    page.get_by_role("button", name="Cancel the booking and refund $30.00").click()
    # nothing is sent (nor afterwards: the only cancellation sent is the accepted one, counted below)
    assert questions == ["Cancel this booking? You get $30.00 back."]
    assert Booking.objects.get(pk=soon.pk).status == BookingStatus.CONFIRMED

    def accept(dialog):
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Cancel the booking and refund $30.00").click()

    # then: the booking is cancelled with its refund, and the wallet shows it
    expect(page.get_by_text("Your booking is cancelled. $30.00 is back in your wallet.")).to_be_visible()
    expect(page.get_by_test_id("booking-refund")).to_have_text("$30.00")
    assert_axe_clean(page)
    assert Booking.objects.get(pk=soon.pk).refund_amount == Decimal("30.00")
    assert cancel_posts == [cancel_url]
    page.goto(base + reverse("wallet:home"))
    assert page.get_by_test_id("wallet-balance").inner_text() == "$32.00"
    refund_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Booking refund"))
    expect(refund_row).to_contain_text("+$30.00")

    # and the page to move the other booking offers open times and is accessible
    page.goto(base + reverse("scheduling_manage:reschedule", args=[later.pk]))
    expect(page.get_by_test_id("reschedule-options")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_and_admin_booking_pages_are_accessible_and_the_list_fits_a_phone(live_server, new_page, booked):
    # given
    soon, _ = booked
    base = live_server.url
    admin = AdminFactory(email="bookings-admin@example.com")
    give_totp(admin)

    # when / then: the reader's pages
    reader_page = new_page()
    sign_in_with_session(reader_page, base, soon.reader)
    reader_page.goto(base + reverse("scheduling_manage:reader_list"))
    expect(reader_page.get_by_role("heading", name="Bookings with your clients")).to_be_visible()
    assert_axe_clean(reader_page)
    reader_page.goto(base + reverse("scheduling_manage:detail", args=[soon.pk]))
    expect(reader_page.get_by_test_id("refund-quote")).to_contain_text("the client gets $60.00 back (100% of $60.00)")
    assert_axe_clean(reader_page)

    # and the admin's
    admin_page = new_page()
    sign_in_with_session(admin_page, base, admin)
    admin_page.goto(base + reverse("staff_scheduling:booking_list"))
    expect(admin_page.get_by_test_id("staff-bookings")).to_contain_text("seeker.bookings@example.com")
    assert_axe_clean(admin_page)
    admin_page.goto(base + reverse("staff_scheduling:booking_detail", args=[soon.pk]))
    admin_page.get_by_label("Reason").fill("Duplicate booking made in error")
    admin_page.get_by_role("button", name="Continue").click()
    expect(admin_page.get_by_role("heading", name="Confirm the cancellation")).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.goto(base + reverse("staff_scheduling:no_shows"))
    assert_axe_clean(admin_page)

    # and on a phone the client's list does not make the page scroll sideways
    phone = new_page(viewport={"width": 375, "height": 740})
    sign_in_with_session(phone, base, soon.client)
    phone.goto(base + reverse("scheduling_manage:client_list"))
    expect(phone.get_by_role("heading", name="Your bookings")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_axe_clean(phone)
