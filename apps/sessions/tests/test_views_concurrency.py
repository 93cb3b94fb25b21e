"""Pages hit at the same moment: reviews landing together for one reader (the stored rating aggregate counts
every one), and one client's start form posted many times at once over real HTTP (one reading)."""

import re
import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.readers.models import ReaderProfile
from apps.sessions.models import ReadingSession
from apps.sessions.services import session_accept, session_end, session_finalize, session_request
from apps.sessions.tests.helpers import credit, make_reader

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
                response = web.post(reverse("livesessions:review", args=[session.pk]), {"rating": str(rating)})
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


def _signed_in_http_session(base_url: str, email: str) -> requests.Session:
    """A browser-like HTTP session signed in through the real login form (CSRF cookie and token included)."""
    http = requests.Session()
    login_url = base_url + reverse("account_login")
    page = http.get(login_url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "the login page has a CSRF token"
    response = http.post(
        login_url,
        data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": DEFAULT_PASSWORD},
        headers={"Referer": login_url},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302 and "sessionid" in http.cookies, response.text[:500]
    return http


@pytest.mark.django_db(transaction=True)
def test_start_ten_posts_at_once_over_http_from_one_client_start_one_reading(live_server):
    # given a signed-in client (real session and CSRF cookies) on an online reader's start form
    client_user, reader = UserFactory(), make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("20.00"))
    profile = ReaderProfile.objects.get(user=reader)
    http = _signed_in_http_session(live_server.url, client_user.email)
    form = http.get(live_server.url + reverse("livesessions:start_panel", args=[profile.pk]), timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    start_url = live_server.url + reverse("livesessions:start", args=[profile.pk])
    barrier = threading.Barrier(10)
    responses: list[requests.Response] = []

    def post():
        tab = requests.Session()  # one per thread, sharing the browser's cookies
        tab.cookies.update(http.cookies)
        barrier.wait()
        response = tab.post(
            start_url,
            data={"csrfmiddlewaretoken": token, "modality": "text", "intake_note": "", "spending_cap": ""},
            headers={"Referer": start_url},
            timeout=30,
            allow_redirects=False,
        )
        responses.append(response)

    # when the form is posted 10 times at the same instant
    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one request goes to the room; the other nine see why they were refused
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [400] * 9, statuses
    refused = [r for r in responses if r.status_code == 400]
    assert all("You already have a reading in progress or a request waiting" in r.text for r in refused)
    session = ReadingSession.objects.get(client=client_user)
    assert next(r for r in responses if r.status_code == 302).headers["Location"].endswith(f"/readings/{session.pk}/")
    call_command("ledger_check")
