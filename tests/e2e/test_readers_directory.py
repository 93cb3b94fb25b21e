"""The reader directory in a real browser: a client searches and filters (HTMX, URL carries the filters, back
works), opens a profile, saves the reader as a favorite and finds them on their dashboard with live status.
axe-core runs on the directory and the profile page.
"""

import io
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.readers.constants import PRESENCE_HEARTBEAT_SECONDS
from apps.readers.enums import Presence
from apps.readers.models import Favorite
from apps.readers.tests.factories import ReaderProfileFactory, SpecialtyFactory
from tests.e2e.conftest import assert_axe_clean, eventually, sign_in_with_session

PRESENCE_POLL_SECONDS = 20  # the client's status poll (readers/partials/_presence_poller.html)
SEARCH_DELAY_MS = 400  # the directory searches 400 ms after the last keystroke (readers/partials/_filters.html)


def _photo(colour: tuple[int, int, int]) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="reader.png")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_directory_search_filter_open_profile_favorite_and_see_it_on_dashboard(live_server, page, settings, tmp_path):
    # given: three listed readers and a signed-in client
    settings.MEDIA_ROOT = tmp_path / "media"
    tarot, astrology = SpecialtyFactory(name="Tarot"), SpecialtyFactory(name="Astrology")
    ReaderProfileFactory(
        display_name="Selene Moon",
        specialties=[tarot],
        photo=_photo((200, 80, 150)),
        rating_average=Decimal("3.80"),
        rating_count=4,
    )
    vega = ReaderProfileFactory(
        display_name="Vega Starling",
        specialties=[tarot],
        photo=_photo((80, 80, 200)),
        headline="Tarot for crossroads",
        rating_average=Decimal("4.90"),
        rating_count=31,
        presence=Presence.ONLINE,
        last_seen_at=timezone.now(),
    )
    ReaderProfileFactory(
        display_name="Orion Vale", specialties=[astrology], photo=_photo((30, 160, 90)), headline="Birth charts"
    )
    client = UserFactory(email="seeker@example.com")
    base = live_server.url
    # Playwright's clock: time flows as usual, and the test moves it past the search's typing delay.
    page.clock.install()
    sign_in_with_session(page, base, client)
    page.goto(base + reverse("dashboards:home"))
    page.wait_for_url(f"**{reverse('dashboards:client')}")

    # when: the client opens the directory from the navigation
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Readers").click()
    page.wait_for_url(f"**{reverse('readers:directory')}")
    results = page.locator("#directory-results")
    expect(results.get_by_role("link", name="Orion Vale")).to_be_visible()
    assert_axe_clean(page)

    # and searches: results update in place and the URL carries the search
    page.get_by_label("Search", exact=True).fill("tarot")
    page.clock.fast_forward(SEARCH_DELAY_MS)
    results.get_by_role("link", name="Orion Vale").wait_for(state="detached")
    assert "q=tarot" in page.url
    expect(results.get_by_role("link", name="Selene Moon")).to_be_visible()
    expect(results.get_by_role("link", name="Vega Starling")).to_be_visible()
    # and filters by rating: only the highly rated tarot reader remains
    page.get_by_label("Rating").select_option("4")
    results.get_by_role("link", name="Selene Moon").wait_for(state="detached")
    assert "rating_min=4" in page.url and "q=tarot" in page.url
    expect(results.get_by_text("1 reader found")).to_be_visible()
    # and the back button restores the previous results
    page.go_back()
    page.wait_for_url(re.compile(r".*q=tarot(?!.*rating_min=4).*"))
    page.locator("#directory-results").get_by_role("link", name="Selene Moon").wait_for()

    # and an empty search explains what to do
    page.get_by_label("Search", exact=True).fill("nothing matches this")
    page.clock.fast_forward(SEARCH_DELAY_MS)
    page.get_by_text("No reader matches these filters yet").wait_for()
    page.get_by_role("link", name="Clear all filters").click()
    page.wait_for_url(f"**{reverse('readers:directory')}")

    # and opens a profile
    page.locator("#directory-results").get_by_role("link", name="Vega Starling").click()
    page.wait_for_url(f"**{reverse('readers:profile', args=[vega.pk])}")
    expect(page.get_by_role("heading", level=1, name="Vega Starling")).to_be_visible()
    assert page.locator(f"#presence-{vega.pk}").inner_text().strip().endswith("Online")
    assert_axe_clean(page)

    # and saves the reader as a favorite and asks to hear when they are online
    page.get_by_role("button", name="Add to favorites").click()
    page.get_by_role("button", name="Favorite", exact=True).wait_for()
    assert page.get_by_role("button", name="Favorite", exact=True).get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Notify me when online").click()
    page.get_by_text("At most once a day").wait_for()

    # then: the favorite is on the client's dashboard with its live status
    assert Favorite.objects.filter(user=client, reader=vega).exists()
    page.goto(base + reverse("dashboards:client"))
    favorites = page.locator("[data-section='favorites']")
    favorites.get_by_role("link", name="Vega Starling").wait_for()
    assert "Online" in favorites.inner_text()
    assert "Online alert on" in favorites.inner_text()
    assert_axe_clean(page)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_goes_online_from_dashboard_client_sees_it_live_and_heartbeat_keeps_it(
    live_server, new_page, settings, tmp_path
):
    # given: a listed reader (offline) and a client looking at the reader's profile
    settings.MEDIA_ROOT = tmp_path / "media"
    vega = ReaderProfileFactory(display_name="Vega Starling", photo=_photo((80, 80, 200)))
    client = UserFactory(email="seeker@example.com")
    base = live_server.url
    client_page = new_page()
    # Both pages run on Playwright's clock: time flows as usual, and the test moves it past the status poll
    # and the heartbeat instead of waiting for them.
    client_page.clock.install()
    sign_in_with_session(client_page, base, client)
    client_page.goto(base + reverse("readers:profile", args=[vega.pk]))
    badge = client_page.locator(f"#presence-{vega.pk}")
    assert badge.inner_text().strip().endswith("Offline")

    # when: the reader goes online from their dashboard
    reader_page = new_page()
    reader_page.clock.install()
    sign_in_with_session(reader_page, base, vega.user)
    reader_page.goto(base + reverse("dashboards:home"))
    reader_page.wait_for_url(f"**{reverse('dashboards:reader')}")
    panel = reader_page.locator("#reader-dashboard-panel")
    panel.get_by_role("button", name="Go online").click()
    panel.get_by_role("button", name="Go offline").wait_for()
    assert_axe_clean(reader_page)
    vega.refresh_from_db()
    went_online_at = vega.last_seen_at

    # then: the client's page shows it without a reload at its next status poll, and the dashboard's next
    # heartbeat keeps the reader's last-seen time moving
    client_page.clock.fast_forward((PRESENCE_POLL_SECONDS + 1) * 1000)
    client_page.wait_for_function(
        f"document.querySelector('#presence-{vega.pk}').textContent.includes('Online')", timeout=10_000
    )
    reader_page.clock.fast_forward((PRESENCE_HEARTBEAT_SECONDS + 1) * 1000)

    def heartbeat_arrived() -> bool:
        vega.refresh_from_db()
        return vega.last_seen_at > went_online_at

    assert eventually(heartbeat_arrived, timeout=10)
    assert vega.presence == Presence.ONLINE


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_edits_profile_sees_rate_error_then_publishes(live_server, page, settings, tmp_path):
    # given: a newly approved reader whose profile is still a draft
    settings.MEDIA_ROOT = tmp_path / "media"
    SpecialtyFactory(name="Tarot")
    reader = ReaderFactory(email="mira@example.com", display_name="Mira")
    photo = tmp_path / "mira.png"
    photo.write_bytes(_photo((120, 40, 160)).read())
    base = live_server.url
    sign_in_with_session(page, base, reader)

    # when: they open the editor and fill it in with a rate above the maximum
    page.goto(base + reverse("readers:dashboard_profile"))
    assert_axe_clean(page)
    page.get_by_label("Headline").fill("Tarot with a gentle voice")
    page.get_by_label("Bio").fill("Fifteen years of readings for people at a crossroads.")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_label("Tarot").check()
    page.get_by_label("Chat rate per minute").fill("75.00")
    page.get_by_role("button", name="Save profile").click()

    # then: the error is shown next to the rate and nothing is saved
    page.get_by_text("less than or equal to 50.00").wait_for()
    assert_axe_clean(page)

    # when: they correct the rate, save and publish
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_label("Chat rate per minute").fill("3.50")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    page.get_by_role("button", name="Publish my profile").click()
    page.get_by_text("Your profile is published").wait_for()

    # then: the reader is in the directory with that rate
    page.goto(base + reverse("readers:directory"))
    card = page.locator("#directory-results li", has_text="Mira")
    assert "$3.50/min" in card.inner_text()
