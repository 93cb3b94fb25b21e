from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import Role
from apps.accounts.models import User
from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.readers.cache import forget_version
from apps.readers.constants import DIRECTORY_PAGE_SIZE
from apps.readers.enums import Presence
from apps.readers.models import Favorite, ReaderProfile
from apps.readers.services import reader_profile_update, reader_search_vector_refresh

from .factories import ReaderProfileFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def bulk_readers(count: int) -> None:
    """``count`` listed readers, created in a handful of statements."""
    tarot = SpecialtyFactory(name="Tarot")
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"bulk{start + i}@example.com", display_name=f"Bulk {i}", role=Role.READER) for i in range(count)
    )
    profiles = ReaderProfile.objects.bulk_create(
        ReaderProfile(
            user=user,
            display_name=f"Bulk reader {i}",
            headline="Tarot for the curious",
            bio="Readings with care.",
            photo="readers/bulk.png",
            text_rate_amount=Decimal("1.00") + i % 40,
            lowest_rate_amount=Decimal("1.00") + i % 40,
            rating_average=Decimal(i % 5),
            rating_count=i % 7,
            presence=Presence.ONLINE if i % 3 == 0 else Presence.OFFLINE,
            last_seen_at=timezone.now(),
            is_published=True,
        )
        for i, user in enumerate(users)
    )
    through = ReaderProfile.specialties.through
    through.objects.bulk_create(through(readerprofile_id=p.pk, specialty_id=tarot.pk) for p in profiles)
    reader_search_vector_refresh()


def directory_queries(client, params: str, *, cold: bool = True) -> int:
    if cold:
        # Measure the work of building the page, not the shared results cache.
        cache.clear()
        forget_version()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("readers:directory") + params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", ["", "?q=tarot&sort=rating", "?online=on&sort=price&specialty=tarot&page=2"])
def test_directory_query_count_same_for_10_and_500_readers(client, params):
    # given
    client.force_login(UserFactory())
    bulk_readers(10)
    small = directory_queries(client, params)
    small_cached = directory_queries(client, params, cold=False)
    # when
    bulk_readers(490)
    large = directory_queries(client, params)
    large_cached = directory_queries(client, params, cold=False)
    # then
    assert small == large
    assert large <= 10
    assert small_cached == large_cached < large


def test_directory_cached_results_refreshed_by_committed_change(client, django_capture_on_commit_callbacks):
    # given
    reader = ReaderProfileFactory(display_name="Selene")
    assert b"Selene" in client.get(reverse("readers:directory")).content
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reader_profile_update(actor=reader.user, data={"display_name": "Selena Nightingale"})
    # then
    assert b"Selena Nightingale" in client.get(reverse("readers:directory")).content


def test_directory_cached_results_served_without_reader_queries(client):
    # given
    ReaderProfileFactory(display_name="Selene")
    client.get(reverse("readers:directory"), {"q": "selene"})
    # when
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("readers:directory"), {"q": "selene"})
    # then
    assert b"Selene" in response.content
    assert not [q for q in ctx.captured_queries if "readers_" in q["sql"]]


def test_directory_paginates_and_keeps_filters_in_links(client):
    # given
    bulk_readers(DIRECTORY_PAGE_SIZE + 3)
    # when
    first = client.get(reverse("readers:directory"), {"q": "tarot"})
    second = client.get(reverse("readers:directory"), {"q": "tarot", "page": 2})
    # then
    assert first.context["page_obj"].paginator.count == DIRECTORY_PAGE_SIZE + 3
    assert len(first.context["page_obj"].object_list) == DIRECTORY_PAGE_SIZE
    assert len(second.context["page_obj"].object_list) == 3
    assert b"?q=tarot&amp;page=2" in first.content
    first_ids = {r.pk for r in first.context["page_obj"]}
    assert first_ids.isdisjoint({r.pk for r in second.context["page_obj"]})


def test_directory_htmx_request_gets_results_partial_only(client):
    # given
    ReaderProfileFactory(display_name="Selene")
    # when
    partial = client.get(reverse("readers:directory"), {"q": "selene"}, **HTMX)
    full = client.get(reverse("readers:directory"), {"q": "selene"})
    restore = client.get(reverse("readers:directory"), {"q": "selene"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    # then
    assert b"Selene" in partial.content and b"<html" not in partial.content
    assert b"<html" in full.content and b'role="search"' in full.content
    assert b"<html" in restore.content


def test_directory_no_match_shows_helpful_empty_state(client):
    # given
    ReaderProfileFactory()
    # when
    response = client.get(reverse("readers:directory"), {"q": "zzzz"})
    # then
    assert b"No reader matches these filters yet" in response.content
    assert b"Clear all filters" in response.content


def test_directory_invalid_price_range_reported_and_ignored(client):
    # given
    ReaderProfileFactory(display_name="Selene")
    # when
    response = client.get(reverse("readers:directory"), {"price_min": "9", "price_max": "2"})
    # then
    assert b"The maximum price must be at least the minimum price." in response.content
    assert response.context["page_obj"].paginator.count == 1


def test_directory_lists_only_listed_readers(client):
    # given
    ReaderProfileFactory(display_name="Visible Vera")
    ReaderProfileFactory(display_name="Hidden Hana", is_published=False)
    ReaderProfileFactory(display_name="Banned Bo", is_suspended=True)
    # when
    response = client.get(reverse("readers:directory"))
    # then
    assert b"Visible Vera" in response.content
    assert b"Hidden Hana" not in response.content and b"Banned Bo" not in response.content


def test_profile_unlisted_reader_404_for_others_previewable_by_owner(client):
    # given
    draft = ReaderProfileFactory(is_published=False)
    url = reverse("readers:profile", args=[draft.pk])
    # when / then
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(draft.user)
    response = client.get(url)
    assert response.status_code == 200 and b"Only you can see this page" in response.content


def test_profile_shows_rates_status_and_loads_the_booking_panel(client):
    # given
    reader = ReaderProfileFactory(display_name="Selene", text_rate_amount=Decimal("4.50"))
    # when
    response = client.get(reverse("readers:profile", args=[reader.pk]))
    # then
    assert b"$4.50/min" in response.content
    assert b"Offline" in response.content
    # booking is offered by the scheduling panel the page loads, only when the reader takes bookings
    assert reverse("scheduling:profile_panel", args=[reader.user_id]).encode() in response.content


def test_profile_offers_a_free_message_to_clients_and_visitors_not_to_readers(client):
    # given
    reader = ReaderProfileFactory(display_name="Selene")
    url = reverse("readers:profile", args=[reader.pk])
    message_url = reverse("messaging:start", args=[reader.pk]).encode()
    # then: visitors (sent to sign in by the link) and clients see it
    assert message_url in client.get(url).content
    client.force_login(UserFactory())
    assert message_url in client.get(url).content
    # and another reader does not (readers cannot start conversations)
    client.force_login(ReaderProfileFactory().user)
    assert message_url not in client.get(url).content


def test_favorite_then_favorites_panel_lists_reader_with_status(client):
    # given
    reader = ReaderProfileFactory(display_name="Selene", presence=Presence.ONLINE, last_seen_at=timezone.now())
    fan = UserFactory()
    client.force_login(fan)
    # when
    response = client.post(reverse("readers:favorite", args=[reader.pk]), {"favorite": "1"}, **HTMX)
    # then
    assert response.status_code == 200 and b'aria-pressed="true"' in response.content
    panel = client.get(reverse("readers:favorites_panel"))
    assert b"Selene" in panel.content and b"Online" in panel.content
    client.post(reverse("readers:favorite", args=[reader.pk]), {"favorite": "0"})
    assert not Favorite.objects.exists()


def test_favorite_unlisted_reader_404(client):
    # given
    draft = ReaderProfileFactory(is_published=False)
    client.force_login(UserFactory())
    # when
    response = client.post(reverse("readers:favorite", args=[draft.pk]), {"favorite": "1"})
    # then
    assert response.status_code == 404
    assert not Favorite.objects.exists()


def test_favorite_anonymous_redirected_to_login(client):
    # given
    reader = ReaderProfileFactory()
    # when
    response = client.post(reverse("readers:favorite", args=[reader.pk]), {"favorite": "1"})
    # then
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_presence_endpoint_returns_oob_badges_for_listed_readers_only(client):
    # given
    live = ReaderProfileFactory(presence=Presence.ONLINE, last_seen_at=timezone.now())
    draft = ReaderProfileFactory(is_published=False, presence=Presence.ONLINE, last_seen_at=timezone.now())
    # when
    response = client.get(reverse("readers:presence"), {"ids": f"{live.pk},{draft.pk},x"})
    # then
    content = response.content.decode()
    assert f'id="presence-{live.pk}"' in content and 'hx-swap-oob="true"' in content and "Online" in content
    assert f"presence-{draft.pk}" not in content


DASHBOARD_VIEWS = [
    ("get", "readers:dashboard_profile"),
    ("get", "readers:dashboard_profile_panel"),
    ("post", "readers:presence_set"),
    ("post", "readers:presence_heartbeat"),
    ("post", "readers:publish"),
]


@pytest.mark.parametrize(("method", "name"), DASHBOARD_VIEWS)
def test_reader_dashboard_views_refuse_clients_with_404(client, method, name):
    # given
    client.force_login(UserFactory())
    # when
    response = getattr(client, method)(reverse(name), {"online": "1", "publish": "1"})
    # then
    assert response.status_code == 404
    assert not ReaderProfile.objects.exists()


@pytest.mark.parametrize(("method", "name"), DASHBOARD_VIEWS)
def test_reader_dashboard_views_refuse_anonymous(client, method, name):
    # when
    response = getattr(client, method)(reverse(name))
    # then
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reader_dashboard_acts_only_on_own_profile(client):
    # given
    mine = ReaderProfileFactory(display_name="Mine")
    theirs = ReaderProfileFactory(display_name="Theirs")
    client.force_login(mine.user)
    # when
    client.post(reverse("readers:presence_set"), {"online": "1"})
    client.post(reverse("readers:publish"), {"publish": "0"})
    page = client.get(reverse("readers:dashboard_profile"))
    # then
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert mine.presence == Presence.ONLINE and not mine.is_published
    assert theirs.presence == Presence.OFFLINE and theirs.is_published
    assert b"Theirs" not in page.content


def test_reader_dashboard_profile_first_visit_creates_profile(client):
    # given
    reader = ReaderFactory()
    client.force_login(reader)
    # when
    response = client.get(reverse("readers:dashboard_profile"))
    # then
    assert response.status_code == 200
    assert ReaderProfile.objects.filter(user=reader, is_published=False).exists()


def test_reader_dashboard_profile_post_saves_and_bad_rate_shows_error(client):
    # given
    profile = ReaderProfileFactory()
    client.force_login(profile.user)
    data = {
        "display_name": "Selene",
        "headline": "Moon and tarot",
        "bio": "Long bio.",
        "years_experience": "12",
        "specialties": [s.pk for s in profile.specialties.all()],
        "text_rate_amount": "3.25",
        "scheduled_rate_amount": "",
        "paid_reply_amount": "1.00",
    }
    # when
    ok = client.post(reverse("readers:dashboard_profile"), data)
    bad = client.post(reverse("readers:dashboard_profile"), {**data, "text_rate_amount": "75.00"})
    # then
    assert ok.status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "Selene" and profile.text_rate_amount == Decimal("3.25")
    assert bad.status_code == 200 and b"50.00" in bad.content
    profile.refresh_from_db()
    assert profile.text_rate_amount == Decimal("3.25")


def test_presence_heartbeat_view_keeps_online_reader(client):
    # given
    profile = ReaderProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("readers:presence_set"), {"online": "1"})
    # when
    response = client.post(reverse("readers:presence_heartbeat"))
    # then
    assert response.json() == {"online": True}


def test_directory_anonymous_page_shared_without_csrf_token_and_without_queries(client):
    # given
    ReaderProfileFactory(display_name="Selene")
    first = client.get(reverse("readers:directory"))
    # when
    with CaptureQueriesContext(connection) as ctx:
        second = client.get(reverse("readers:directory"))
    # then
    assert second.content == first.content and b"Selene" in second.content
    assert b"X-CSRFToken" not in second.content and "csrftoken" not in second.cookies
    assert len(ctx.captured_queries) == 0


def test_directory_signed_in_page_rendered_for_the_user(client):
    # given
    ReaderProfileFactory(display_name="Selene")
    user = UserFactory(display_name="Seeker Sam")
    client.get(reverse("readers:directory"))  # warm the shared anonymous page
    client.force_login(user)
    # when
    response = client.get(reverse("readers:directory"))
    # then
    assert b"Seeker Sam" in response.content and b"X-CSRFToken" in response.content


def test_reader_dashboard_panel_makes_a_new_readers_profile_once_and_shows_what_it_needs(client):
    # given a reader just approved, with no profile yet
    reader = ReaderFactory()
    client.force_login(reader)
    # when the panel is opened twice
    first = client.get(reverse("readers:dashboard_profile_panel"))
    second = client.get(reverse("readers:dashboard_profile_panel"))
    # then one profile is made, and both answers show it (unpublished, with what it still needs)
    assert first.status_code == second.status_code == 200
    assert ReaderProfile.objects.filter(user=reader).count() == 1
    for answer in (first.content.decode(), second.content.decode()):
        assert "To publish it, add" in answer and "Publish my profile" in answer
