"""Pages hit at the same moment: reviews landing together for one reader (the stored rating aggregate counts
every one), and one client's start form posted many times at once over real HTTP (one reading)."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from http.cookiejar import CookieJar
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.readers.models import ReaderProfile
from apps.readings.models import ReadingSession
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.tests.helpers import credit, make_reader

ROUNDS = 3
CLIENTS = 4


def _finished(client_user, reader):
    credit(client_user, Decimal("5.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=client_user, session_id=session.pk)
    return session_finalize(session_id=session.pk)


@pytest.mark.django_db(transaction=True)
def test_review_create_concurrent_reviews_of_one_reader_aggregate_counts_all():
    # given one reader and several clients, each with a finalized paid reading, over a few rounds
    reader = make_reader()
    expected_total = 0
    for round_number in range(ROUNDS):
        ratings = [1 + (round_number + index) % 5 for index in range(CLIENTS)]
        sessions = [_finished(UserFactory(), reader) for _ in ratings]
        barrier = threading.Barrier(len(sessions))
        statuses: list[int] = []

        def post(session, rating, barrier=barrier, statuses=statuses):
            from django.test import Client

            try:
                web = Client()
                web.force_login(session.client)
                barrier.wait()
                response = web.post(reverse("readings:review", args=[session.pk]), {"rating": str(rating)})
                statuses.append(response.status_code)
            finally:
                connection.close()

        # when they all publish their review at the same moment
        threads = [threading.Thread(target=post, args=pair) for pair in zip(sessions, ratings, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected_total += sum(ratings)

        # then every review is counted in the reader's aggregate
        assert statuses == [302] * CLIENTS
        profile = ReaderProfile.objects.get(user=reader)
        count = CLIENTS * (round_number + 1)
        assert profile.rating_count == count
        average = (Decimal(expected_total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert profile.rating_average == average


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, as the 302 of a form post


def _browser(cookies: CookieJar | None = None) -> urllib.request.OpenerDirector:
    """An HTTP client keeping its own cookies (a copy of ``cookies``), like a browser tab."""
    jar = CookieJar()
    for cookie in cookies or []:
        jar.set_cookie(cookie)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.jar = jar  # type: ignore[attr-defined]
    return opener


def _fetch(browser, url: str, data: dict | None = None) -> tuple[int, Any, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    try:
        with browser.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "the page has a CSRF token"
    return found.group(1)


@pytest.mark.django_db(transaction=True)
def test_start_ten_posts_at_once_over_http_from_one_client_start_one_reading(live_server):
    # given a client signed in through the real login form (session and CSRF cookies) on a reader's start form
    client_user, reader = UserFactory(), make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("20.00"))
    profile = ReaderProfile.objects.get(user=reader)
    browser = _browser()
    login_url = live_server.url + reverse("account_login")
    _, _, page = _fetch(browser, login_url)
    status, _, _ = _fetch(
        browser,
        login_url,
        {"csrfmiddlewaretoken": _csrf_token(page), "login": client_user.email, "password": DEFAULT_PASSWORD},
    )
    assert status == 302 and any(cookie.name == "sessionid" for cookie in browser.jar)
    _, _, form = _fetch(browser, live_server.url + reverse("readings:start_panel", args=[profile.pk]))
    data = {"csrfmiddlewaretoken": _csrf_token(form), "modality": "text", "intake_note": "", "spending_cap": ""}
    start_url = live_server.url + reverse("readings:start", args=[profile.pk])
    barrier = threading.Barrier(10)
    responses: list[tuple[int, Any, str]] = []

    def post():
        tab = _browser(browser.jar)  # one per thread, with the signed-in browser's cookies
        barrier.wait()
        responses.append(_fetch(tab, start_url, data))

    # when the form is posted 10 times at the same instant
    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one request goes to the room; the other nine see why they were refused
    statuses = sorted(status for status, _, _ in responses)
    assert statuses == [302] + [400] * 9, statuses
    refused = [body for status, _, body in responses if status == 400]
    assert all("You already have a reading in progress or a request waiting" in body for body in refused)
    session = ReadingSession.objects.get(client=client_user)
    location = next(headers["Location"] for status, headers, _ in responses if status == 302)
    assert location.endswith(f"/readings/{session.pk}/")
    call_command("ledger_check")
