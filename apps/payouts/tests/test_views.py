"""Payout pages: the reader's own history (never anyone else's), the staff queue and reader page (404 for
non-admins; bad input changes nothing), and constant query counts for the lists."""

import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.models import AuditLog
from apps.payouts import services
from apps.payouts.models import Payout, PayoutAccount
from apps.readings.tests.helpers import make_reader

from .helpers import earn, verified_reader

pytestmark = pytest.mark.django_db

_transfer_ids = itertools.count(1)


def _admin(client):
    """An admin (with TOTP, as admins must have) signed in on ``client``."""
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    return admin


def _payouts(reader, count: int) -> None:
    """``count`` settled payouts of ``reader`` (rows only: the list pages read rows, not the ledger)."""
    for _ in range(count):
        Payout.objects.create(
            reader=reader,
            amount=Decimal("20.00"),
            source="request",
            status="paid",
            stripe_account_id="acct_x",
            stripe_transfer_id=f"tr_{reader.pk}_{next(_transfer_ids)}",
        )


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_reader_home_lists_only_their_own_payouts_with_constant_queries(client):
    # given two readers with payouts
    reader, other = make_reader(), make_reader()
    _payouts(reader, 1)
    _payouts(other, 3)
    client.force_login(reader)
    few = _queries(client, reverse("payouts:home"))
    _payouts(reader, 11)
    # then more rows cost no more queries, and the other reader's transfers never show
    assert _queries(client, reverse("payouts:home")) == few
    page = client.get(reverse("payouts:home")).content.decode()
    assert page.count("Requested payout") == 12
    assert f"tr_{other.pk}_" not in page


def test_reader_home_tells_an_unonboarded_reader_what_to_do(client):
    reader = make_reader()
    earn(reader, "22.00")
    client.force_login(reader)
    page = client.get(reverse("payouts:home")).content.decode()
    assert "$22.00" in page and "Set up your payout account with Stripe" in page
    assert "Pay me" not in page


def test_reader_home_offers_a_payout_and_the_request_pays(client, stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "15.00")
    client.force_login(reader)
    page = client.get(reverse("payouts:home")).content.decode()
    assert "Pay me $15.00 now" in page and "The next weekly payout runs" in page
    response = client.post(reverse("payouts:request"), follow=True)
    assert b"$15.00 is on its way to your Stripe account." in response.content
    assert Payout.objects.get(reader=reader).amount == Decimal("15.00")
    # and a second click says why, with nothing new written
    response = client.post(reverse("payouts:request"), follow=True)
    assert b"A payout is already on its way to you" in response.content
    assert Payout.objects.count() == 1


def test_staff_queue_lists_pending_payouts_with_constant_queries(client, stripe_server):
    _admin(client)
    reader = verified_reader(stripe_server)
    earn(reader, "30.00")
    services.payout_request(reader=reader)
    few = _queries(client, reverse("staff_payouts:queue"))
    for _ in range(5):
        other = verified_reader(stripe_server)
        earn(other, "30.00")
        services.payout_request(reader=other)
        _payouts(other, 2)
    assert _queries(client, reverse("staff_payouts:queue")) == few
    page = client.get(reverse("staff_payouts:queue")).content.decode()
    assert page.count("Requested payout") >= 6 and reader.reader_profile.display_name in page


@pytest.mark.parametrize("name", ["staff_payouts:queue", "staff_payouts:queue_panel"])
def test_staff_pages_are_not_found_for_non_admins(client, name):
    for user in (UserFactory(), make_reader()):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 404
        assert client.post(reverse("staff_payouts:pause"), {"reason": "x"}).status_code == 404


def test_staff_reader_page_sets_the_rate_and_refuses_bad_input(client):
    admin, reader = _admin(client), make_reader()
    url = reverse("staff_payouts:reader_rate", kwargs={"reader_id": reader.pk})
    # when an admin enters 95%
    response = client.post(url, {"percent": "95"})
    # then a clear error and nothing changed
    assert response.status_code == 400 and b"less than or equal to 90" in response.content
    assert not PayoutAccount.objects.filter(share_rate__isnull=False).exists()
    # when 82.5%
    client.post(url, {"percent": "82.5"})
    assert PayoutAccount.objects.get(reader=reader).share_rate == Decimal("0.8250")
    assert AuditLog.objects.filter(action="payouts.share_rate_set", actor=admin).exists()


def test_staff_reader_page_for_a_client_is_not_found(client):
    _admin(client)
    assert client.get(reverse("staff_payouts:reader", kwargs={"reader_id": UserFactory().pk})).status_code == 404


def test_staff_kyc_flags_and_hold_from_the_reader_page(client, stripe_server):
    admin = _admin(client)
    reader = verified_reader(stripe_server, background_check=False)
    client.post(
        reverse("staff_payouts:reader_kyc", kwargs={"reader_id": reader.pk}),
        {"background_check_done": "on", "note": "Checked 2026-12-01"},
    )
    account = PayoutAccount.objects.get(reader=reader)
    assert account.background_check_done and account.is_verified
    hold = reverse("staff_payouts:reader_hold", kwargs={"reader_id": reader.pk})
    # a hold needs a reason
    assert client.post(hold, {"action": "hold", "reason": ""}).status_code == 400
    client.post(hold, {"action": "hold", "reason": "Chargebacks on their readings"})
    assert PayoutAccount.objects.get(reader=reader).is_held
    page = client.get(reverse("staff_payouts:reader", kwargs={"reader_id": reader.pk})).content.decode()
    assert "Held because: Chargebacks on their readings" in page and "Background check done" in page
    client.post(hold, {"action": "release"})
    assert not PayoutAccount.objects.get(reader=reader).is_held
    actions = set(AuditLog.objects.filter(actor=admin).values_list("action", flat=True))
    assert {"payouts.kyc_flags_set", "payouts.held", "payouts.released"} <= actions


def test_staff_pause_needs_a_reason(client):
    _admin(client)
    page = client.post(reverse("staff_payouts:pause"), {"action": "pause", "reason": " "}, follow=True)
    assert b"Say why payouts are paused" in page.content
    client.post(reverse("staff_payouts:pause"), {"action": "pause", "reason": "Month-end audit"})
    assert b"Payouts are paused" in client.get(reverse("staff_payouts:queue")).content
    client.post(reverse("staff_payouts:pause"), {"action": "resume"})
    assert b"Pause all payouts" in client.get(reverse("staff_payouts:queue")).content


def test_payout_times_are_shown_in_the_viewers_time_zone(client):
    # given a reader in New York with a payout made at 15:00 UTC
    from datetime import UTC, datetime

    reader = make_reader()
    type(reader).objects.filter(pk=reader.pk).update(timezone="America/New_York")
    _payouts(reader, 1)
    Payout.objects.filter(reader=reader).update(created_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    reader.refresh_from_db()
    client.force_login(reader)
    # then the history reads 10 a.m. (New York), not 3 p.m.
    page = client.get(reverse("payouts:home")).content.decode()
    assert "Dec. 1, 2026, 10 a.m." in page and "3 p.m." not in page
