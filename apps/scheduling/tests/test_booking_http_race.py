"""Eight signed-in browsers confirm the same slot at the same instant over real HTTP (the live server, one
thread and one database connection per request): one booking, seven pages saying the time was just taken."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, time, timedelta
from decimal import Decimal
from http.cookiejar import CookieJar
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.scheduling.forms import instant_param
from apps.scheduling.models import Booking
from apps.scheduling.tests.factories import ReaderScheduleFactory, weekly_windows
from apps.wallet.selectors import wallet_balance
from tests.support.money import top_up

BROWSERS = 8


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 after a booking is the answer to look at


def _browser() -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
    return opener


def _sign_in(browser, base: str, user: Any) -> None:
    """Through the real login form, as a browser does (session and CSRF cookies)."""
    login_url = base + reverse("account_login")
    _, page = _fetch(browser, login_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, _ = _fetch(
        browser, login_url, {"csrfmiddlewaretoken": token, "login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert status == 302


def _fetch(browser, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Referer": url})
    try:
        with browser.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_confirm_eight_browsers_post_the_same_slot_at_once_one_booking(live_server):
    # given eight funded clients, each on the confirm page of the same slot (their CSRF token and idempotency key)
    cache.clear()
    schedule = ReaderScheduleFactory()
    weekly_windows(schedule.reader, start=time(0), end=time(0))
    start = (timezone.now() + timedelta(days=3)).astimezone(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    url = live_server.url + reverse("scheduling:confirm", args=[schedule.reader_id])
    tabs = []
    for _ in range(BROWSERS):
        client = UserFactory()
        top_up(client, "100.00")
        browser = _browser()
        _sign_in(browser, live_server.url, client)
        status, page = _fetch(browser, url + f"?start={instant_param(start)}&duration=30")
        assert status == 200, page
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key|start|duration)" value="([^"]+)"', page))
        tabs.append((client, browser, {**fields, "modality": "text"}))
    barrier = threading.Barrier(BROWSERS)
    answers: dict[int, tuple[int, str]] = {}

    def confirm(client, browser, data):
        barrier.wait()
        answers[client.pk] = _fetch(browser, url, data)

    # when they all confirm at the same instant
    threads = [threading.Thread(target=confirm, args=tab) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one is sent to their booked reading, seven are told the time was just taken and keep their money
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [302] + [409] * (BROWSERS - 1), statuses
    assert all(
        "That time was just taken — please pick another slot." in body
        for status, body in answers.values()
        if status == 409
    )
    booking = Booking.objects.get()
    for client, _, _ in tabs:
        assert wallet_balance(user=client) == (
            Decimal("40.00") if client.pk == booking.client_id else Decimal("100.00")
        )
    call_command("ledger_check")
