"""The weekly batch task pays through the service, and its beat entry names it."""

from decimal import Decimal

import pytest

from apps.payouts.models import Payout
from apps.payouts.tasks import payouts_batch_weekly_task
from config.celery import app

from .helpers import earn, verified_reader

pytestmark = pytest.mark.django_db


def test_batch_weekly_task_pays_eligible_readers(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "9.00")
    assert payouts_batch_weekly_task() == 1
    assert Payout.objects.get(reader=reader).amount == Decimal("9.00")


def test_batch_weekly_is_scheduled_on_mondays_at_nine_utc():
    entry = app.conf.beat_schedule["payouts-batch-weekly"]
    assert entry["task"] == "payouts.batch_weekly"
    assert entry["schedule"].day_of_week == {1} and entry["schedule"].hour == {9} and entry["schedule"].minute == {0}


def test_request_needs_a_verified_email(client, stripe_server):
    from django.urls import reverse

    from apps.accounts.tests.factories import ReaderFactory

    reader = ReaderFactory(verified=False)
    client.force_login(reader)
    response = client.post(reverse("payouts:request"))
    assert response.status_code == 302 and response["Location"] == reverse("account_email")
    assert not Payout.objects.exists()
