"""Booking a reading for later, in a real browser: a reader in London sets their availability; a client whose
browser is in Los Angeles (the account takes the browser's zone) books an open time; the confirm page and the
booked page show the same instant in each side's own zone; the client then cancels it less than a day ahead and
finds half the price back in the wallet. axe-core runs on the availability, booking and confirm pages.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import UserFactory
from apps.readers.tests.factories import ReaderProfileFactory
from apps.scheduling.models import Booking, ReaderSchedule
from apps.scheduling.slots import INSTANT_FORMAT
from apps.wallet.selectors import wallet_balance
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session
from tests.support.money import top_up

LONDON, LOS_ANGELES = ZoneInfo("Europe/London"), ZoneInfo("America/Los_Angeles")


def _shown(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_in_london_sets_availability_and_client_in_los_angeles_books(live_server, new_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    profile = ReaderProfileFactory(display_name="Selene", scheduled_rate_amount=Decimal("2.00"))
    reader = profile.user
    type(reader).objects.filter(pk=reader.pk).update(timezone="Europe/London", timezone_chosen=True)
    client = UserFactory(email="ana@example.com")
    top_up(client, "100.00")

    # given: the reader, in London, sets their booking settings and weekly hours on the Availability page
    reader_page = new_page(timezone_id="Europe/London")
    sign_in_with_session(reader_page, base, reader)
    reader_page.goto(base + reverse("scheduling:availability"))
    reader_page.get_by_label("Take bookings").check()
    reader_page.get_by_label("Your time zone").select_option("Europe/London")
    for minutes in ("15", "45", "60"):
        reader_page.get_by_role("checkbox", name=f"{minutes} minutes").uncheck()
    reader_page.get_by_role("checkbox", name="30 minutes").check()
    reader_page.get_by_label("Minimum notice").select_option("60")
    reader_page.get_by_role("button", name="Save settings").click()
    expect(reader_page.get_by_text("You are taking bookings.")).to_be_visible()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        reader_page.get_by_role("checkbox", name=day, exact=True).check()
    reader_page.locator("#id_window-start_time").fill("09:00")
    reader_page.locator("#id_window-end_time").fill("17:00")
    reader_page.get_by_role("button", name="Add hours").click()
    expect(reader_page.locator("[data-weekday='0']")).to_contain_text("09:00–17:00")
    assert_axe_clean(reader_page)
    schedule = ReaderSchedule.objects.get(reader=reader)
    assert schedule.is_accepting and schedule.durations == [30] and schedule.timezone == "Europe/London"

    # when: the client, whose browser is in Los Angeles, opens the reader's booking page
    client_page = new_page(timezone_id="America/Los_Angeles")
    sign_in_with_session(client_page, base, client)
    detected = reverse("accounts:timezone_detect")
    with client_page.expect_response(lambda response: response.url.endswith(detected)) as detection:
        client_page.goto(base + reverse("readers:profile", args=[profile.pk]))
    assert detection.value.ok
    expect(client_page.get_by_role("link", name="Book a reading")).to_be_visible()
    client.refresh_from_db()
    assert client.timezone == "America/Los_Angeles"  # taken from the browser on the first page
    client_page.get_by_role("link", name="Book a reading").click()
    expect(client_page.get_by_text("America/Los_Angeles").first).to_be_visible()
    assert_axe_clean(client_page)
    # the day and week navigation swaps the times in place (HTMX) and keeps the address in step
    days = client_page.locator("main [data-slot-day]")
    expect(days).to_have_count(7)
    first_day = days.first.get_attribute("data-slot-day")
    client_page.get_by_role("link", name="Show one day").click()
    expect(days).to_have_count(1)
    client_page.get_by_role("link", name="Later →").click()
    expect(days.first).not_to_have_attribute("data-slot-day", first_day)
    assert "day=" in client_page.url
    client_page.get_by_role("link", name="Show the week").click()
    expect(days).to_have_count(7)

    # when: back on the week that starts today, they pick the first open time inside the 50% window of the policy
    # (between 2 and 24 hours ahead: with hours 09:00–17:00 every day there always is one) and confirm
    client_page.goto(base + reverse("scheduling:book", args=[reader.pk]))
    expect(days).to_have_count(7)
    now = datetime.now(UTC)
    slots = client_page.locator("main [data-slot]")
    starts = [datetime.strptime(value, INSTANT_FORMAT).replace(tzinfo=UTC) for value in slots.evaluate_all(
        "links => links.map(a => a.getAttribute('data-slot'))"
    )]  # fmt: skip
    starts_at = next(
        start for start in starts if timedelta(hours=2, minutes=15) <= start - now <= timedelta(hours=23, minutes=30)
    )
    client_page.locator(f"main [data-slot='{starts_at.strftime(INSTANT_FORMAT)}']").click()
    expect(client_page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(client_page.locator("[data-time='client']")).to_contain_text(_shown(starts_at, LOS_ANGELES))
    expect(client_page.locator("[data-time='reader']")).to_contain_text(_shown(starts_at, LONDON))
    expect(client_page.locator("[data-price]")).to_have_text("$60.00")
    assert_axe_clean(client_page)
    client_page.once("dialog", lambda dialog: dialog.accept())
    client_page.get_by_role("button", name="Confirm and pay $60.00").click()

    # then: both sides see the same instant, each in their own zone
    expect(client_page.get_by_role("heading", name="Your reading is booked")).to_be_visible()
    expect(client_page.locator("[data-time='viewer']")).to_contain_text(_shown(starts_at, LOS_ANGELES))
    booking = Booking.objects.get(client=client)
    assert booking.starts_at == starts_at and booking.reader_timezone == "Europe/London"
    assert wallet_balance(user=client) == Decimal("40.00")
    reader_page.goto(base + reverse("scheduling:booked", args=[booking.pk]))
    expect(reader_page.locator("[data-time='viewer']")).to_contain_text(_shown(starts_at, LONDON))
    london_hour = starts_at.astimezone(LONDON).hour
    assert 9 <= london_hour < 17

    # when: the client cancels it from the booking's page, less than 24 hours ahead
    client_page.goto(base + reverse("scheduling_manage:detail", args=[booking.pk]))
    expect(client_page.get_by_test_id("refund-quote")).to_contain_text("$30.00 back (50% of $60.00)")
    client_page.get_by_role("link", name="Cancel the booking").click()
    client_page.once("dialog", lambda dialog: dialog.accept())
    client_page.get_by_role("button", name="Cancel the booking and refund $30.00").click()
    # then: half the price is back in the wallet, the booking says so, and the ledger agrees
    expect(client_page.get_by_text("Your booking is cancelled. $30.00 is back in your wallet.")).to_be_visible()
    expect(client_page.get_by_test_id("booking-refund")).to_have_text("$30.00")
    client_page.goto(base + reverse("wallet:home"))
    assert client_page.get_by_test_id("wallet-balance").inner_text() == "$70.00"
    assert wallet_balance(user=client) == Decimal("70.00")


@pytest.mark.django_db
def test_scheduling_pages_pass_the_nu_html_checker(client, tmp_path, settings):
    # given a bookable reader with hours, a blocked time and a day off, and a funded client
    import json
    import shutil
    import subprocess
    from datetime import time, timedelta

    from django.utils import timezone

    from apps.scheduling.models import DateException, TimeBlock
    from apps.scheduling.slots import instant_param
    from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
    from tests.e2e.test_markup import HTMX_ATTRIBUTE, VNU_JAR

    if not shutil.which("java"):
        pytest.fail("Java is needed to run the Nu Html Checker (vnu.jar)")
    settings.MEDIA_ROOT = tmp_path / "media"
    schedule = ReaderScheduleFactory()
    reader = schedule.reader
    weekly_windows(reader, start=time(0), end=time(0))
    later = timezone.now() + timedelta(days=2)
    TimeBlock.objects.create(reader=reader, starts_at=later, ends_at=later + timedelta(hours=1), note="Away")
    DateException.objects.create(reader=reader, date=(later + timedelta(days=3)).date(), kind="day_off")
    customer = UserFactory(timezone="America/Los_Angeles")
    top_up(customer, "100.00")
    booking = booking_funded(
        client=customer, reader=reader, starts_at=later.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    start = instant_param((later + timedelta(days=2)).replace(minute=0, second=0, microsecond=0))
    pages = {
        reader: [reverse("scheduling:availability")],
        customer: [
            reverse("scheduling:book", args=[reader.pk]),
            reverse("scheduling:confirm", args=[reader.pk]) + f"?start={start}&duration=30",
            reverse("scheduling:booked", args=[booking.pk]),
        ],
    }
    files = {}
    for person, urls in pages.items():
        client.force_login(person)
        for url in urls:
            # when
            response = client.get(url)
            assert response.status_code == 200, url
            path = tmp_path / f"page-{len(files):02d}.html"
            path.write_text(response.content.decode())
            files[str(path)] = url
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=240,
    )
    # then
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))} line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" and not HTMX_ATTRIBUTE.match(m["message"])
    ]
    assert not errors, "\n".join(errors)
