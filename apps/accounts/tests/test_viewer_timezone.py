"""Every page shows times in the viewer's own zone (``ViewerTimezoneMiddleware``), a visitor's in UTC, and one
request's zone never reaches the next."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.tests.factories import UserFactory
from apps.messaging.tests.factories import fund_wallet
from apps.wallet.models import Transaction

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def _shown(moment, zone) -> str:
    return date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


def test_wallet_history_shows_the_transaction_time_in_the_viewers_zone_and_the_next_request_is_back_in_utc(client):
    # given a user in Los Angeles with one credit (a template without a {% timezone %} of its own)
    user = UserFactory(timezone="America/Los_Angeles")
    fund_wallet(user, Decimal("10.00"))
    made = Transaction.objects.get(postings__account__user=user).created_at
    client.force_login(user)
    # when
    page = client.get(reverse("wallet:home")).content.decode()
    # then: Los Angeles' wall-clock time, not UTC's (eight hours apart, so never the same text)
    assert _shown(made, LOS_ANGELES) in page
    assert _shown(made, ZoneInfo("UTC")) not in page
    # and the zone was this request's only: this thread is back in the default zone
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_visitor_and_a_user_without_a_known_zone_see_utc(client):
    # given a user whose stored zone is no longer known (renamed zones do happen) and a visitor
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(timezone="Nowhere/Atlantis")
    fund_wallet(user, Decimal("10.00"))
    made = Transaction.objects.get(postings__account__user=user).created_at
    client.force_login(user)
    # when
    page = client.get(reverse("wallet:home")).content.decode()
    # then the page still renders, in UTC
    assert _shown(made, ZoneInfo("UTC")) in page
    client.logout()
    assert client.get(reverse("pages:home")).status_code == 200
