"""The reader's availability page: forms save through the services, errors are shown and save nothing."""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory
from apps.readers.tests.factories import ReaderProfileFactory
from apps.scheduling.models import ReaderSchedule, TimeBlock, WeeklyWindow
from apps.scheduling.tests.factories import weekly_windows

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    user = ReaderFactory()
    client.force_login(user)
    return user


def test_availability_page_without_a_scheduled_rate_says_so_and_links_to_the_profile(client, reader):
    # given a reader whose profile has no scheduled rate
    ReaderProfileFactory(user=reader, scheduled_rate_amount=None)
    # when
    response = client.get(reverse("scheduling:availability"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "scheduled reading rate" in html and reverse("readers:dashboard_profile") in html
    assert "You are not taking bookings" in html


def test_availability_window_add_then_overlap_is_refused_with_the_reason(client, reader):
    # given
    url = reverse("scheduling:window_add")
    data = {"window-weekdays": ["0", "2"], "window-start_time": "09:00", "window-end_time": "12:00"}
    # when
    saved = client.post(url, data)
    refused = client.post(url, {**data, "window-start_time": "11:00", "window-end_time": "13:00"})
    backwards = client.post(url, {**data, "window-start_time": "13:00", "window-end_time": "12:00"})
    # then
    assert saved.status_code == 302 and saved["Location"] == reverse("scheduling:availability")
    assert refused.status_code == 400 and "overlaps your Monday window 09:00–12:00" in refused.content.decode()
    assert backwards.status_code == 400 and "must be after the start" in backwards.content.decode()
    assert WeeklyWindow.objects.filter(reader=reader).count() == 2


def test_availability_htmx_post_swaps_the_calendar_in_place(client, reader):
    # when
    response = client.post(
        reverse("scheduling:window_add"),
        {"window-weekdays": ["4"], "window-start_time": "18:00", "window-end_time": "00:00"},
        HTTP_HX_REQUEST="true",
    )
    # then the calendar block only, showing midnight as 24:00, and the confirmation for the live region
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="availability-body"' in html and "<html" not in html
    assert "18:00–24:00" in html and "The hours are added." in html


def test_availability_settings_save_needs_a_rate_to_take_bookings(client, reader):
    # given
    profile = ReaderProfileFactory(user=reader, scheduled_rate_amount=None)
    data = {
        "settings-is_accepting": "on",
        "settings-timezone": "Europe/London",
        "settings-durations": ["30", "60"],
        "settings-buffer_before_minutes": "15",
        "settings-buffer_after_minutes": "0",
        "settings-min_notice_minutes": "720",
        "settings-horizon_days": "30",
    }
    # when / then: refused without a rate
    refused = client.post(reverse("scheduling:settings_save"), data)
    assert refused.status_code == 400 and "Set a scheduled reading rate" in refused.content.decode()
    assert not ReaderSchedule.objects.filter(reader=reader).exists()
    # when / then: saved with one
    profile.scheduled_rate_amount = "3.00"
    profile.save(update_fields=["scheduled_rate_amount"])
    assert client.post(reverse("scheduling:settings_save"), data).status_code == 302
    schedule = ReaderSchedule.objects.get(reader=reader)
    assert (schedule.is_accepting, schedule.durations, schedule.horizon_days) == (True, [30, 60], 30)


def test_availability_block_add_in_the_readers_zone_and_remove_of_someone_elses_is_404(client, reader):
    # given a reader in Kolkata (UTC+05:30)
    ReaderSchedule.objects.create(reader=reader, timezone="Asia/Kolkata")
    # when
    response = client.post(
        reverse("scheduling:block_add"),
        {"block-starts_local": "2030-01-10T10:00", "block-ends_local": "2030-01-10T12:30", "block-note": "Travel"},
    )
    # then
    assert response.status_code == 302
    block = TimeBlock.objects.get(reader=reader)
    assert block.starts_at.isoformat() == "2030-01-10T04:30:00+00:00"
    page = client.get(reverse("scheduling:availability")).content.decode()
    assert "Thu 10 Jan 2030 10:00" in page and "Travel" in page
    other = ReaderFactory()
    client.force_login(other)
    assert client.post(reverse("scheduling:block_remove", args=[block.pk])).status_code == 404
    assert TimeBlock.objects.filter(pk=block.pk).exists()


def test_availability_page_queries_do_not_grow_with_rows(client, reader):
    # given
    ReaderProfileFactory(user=reader)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("scheduling:availability")).status_code == 200
        return len(queries)

    few = count()
    # when
    weekly_windows(reader, start=time(6), end=time(8))
    weekly_windows(reader, start=time(9), end=time(12))
    # then
    assert count() == few


def test_reader_dashboard_has_the_availability_section_and_its_panel_says_what_is_missing(client, reader):
    # given
    from apps.accounts.tests.factories import give_totp

    give_totp(reader)
    ReaderProfileFactory(user=reader, scheduled_rate_amount=None)
    # when
    dashboard = client.get(reverse("dashboards:reader")).content.decode()
    panel = client.get(reverse("scheduling:availability_panel")).content.decode()
    # then
    assert reverse("scheduling:availability_panel") in dashboard
    assert "Set a scheduled reading rate" in panel and "You are not taking bookings." in panel


def test_availability_page_previews_the_next_open_times_as_clients_see_them(client):
    # given a bookable reader in New York open every day 10:00–11:00, with no notice
    from apps.scheduling.tests.factories import ReaderScheduleFactory

    schedule = ReaderScheduleFactory(timezone="America/New_York", durations=[30, 60])
    weekly_windows(schedule.reader, start=time(10), end=time(11))
    client.force_login(schedule.reader)
    # when
    html = client.get(reverse("scheduling:availability")).content.decode()
    # then eight times of 30 minutes, each quarter hour from 10:00 to 10:30 New York time
    assert "Your next open times for 30 minutes (America/New_York)" in html
    preview = html.split("data-preview-slots>", 1)[1].split("</ul>", 1)[0]
    times = [item.rsplit(", ", 1)[1] for item in preview.split("</li>") if item.strip()]
    assert len(times) == 8 and set(times) == {"10:00", "10:15", "10:30"}
    # when the reader stops taking bookings
    type(schedule).objects.filter(pk=schedule.pk).update(is_accepting=False)
    html = client.get(reverse("scheduling:availability")).content.decode()
    assert "is not taking bookings at the moment" in html
