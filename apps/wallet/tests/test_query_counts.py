"""Wallet list pages run a constant number of queries however many rows they show (no N+1)."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.wallet.models import Refund, StripeEvent, TopUp
from apps.wallet.services.ledger import earnings_account, house_account, transaction_post, wallet_account

D = Decimal
FEW, MANY = 1, 12


def _queries(get: Callable[[], object]) -> int:
    get()  # warm per-process caches (content types, templates) so both measurements start alike
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def _top_up(user, n: int, actor=None) -> None:
    transaction_post(
        kind="top_up",
        idempotency_key=f"qc:{user.pk}:{n}",
        postings=[(house_account("stripe:cash"), -D("3.00")), (wallet_account(user), D("3.00"))],
        user=user,
        actor=actor,
        stripe_payment_intent_id=f"pi_qc_{user.pk}_{n}",
    )


def _gift(user, reader, n: int) -> None:
    transaction_post(
        kind="gift",
        idempotency_key=f"qc-gift:{user.pk}:{n}",
        postings=[
            (wallet_account(user), -D("1.00")),
            (earnings_account(reader), D("0.70")),
            (house_account("platform:revenue"), D("0.30")),
        ],
        user=user,
    )


def _history(user, rows: int) -> None:
    reader = UserFactory()
    for n in range(rows):
        _top_up(user, n, actor=AdminFactory())
        _gift(user, reader, n)


@pytest.mark.django_db
def test_wallet_home_many_rows_same_queries_as_few(client):
    # given
    few, many = UserFactory(), UserFactory()
    _history(few, FEW)
    _history(many, MANY)
    # when
    client.force_login(few)
    few_count = _queries(lambda: client.get(reverse("wallet:home")))
    client.force_login(many)
    many_count = _queries(lambda: client.get(reverse("wallet:home")))
    # then
    assert many_count == few_count


@pytest.mark.django_db
def test_wallet_dashboard_panel_many_rows_same_queries_as_few(client):
    # given
    few, many = UserFactory(), UserFactory()
    _history(few, FEW)
    _history(many, MANY)
    # when
    client.force_login(few)
    few_count = _queries(lambda: client.get(reverse("wallet:dashboard_panel")))
    client.force_login(many)
    many_count = _queries(lambda: client.get(reverse("wallet:dashboard_panel")))
    # then
    assert many_count == few_count


@pytest.mark.django_db
def test_staff_user_ledger_many_rows_same_queries_as_few(admin_client):
    # given: transactions with an actor and three postings each
    few, many = UserFactory(), UserFactory()
    _history(few, FEW)
    _history(many, MANY)
    # when
    few_count = _queries(lambda: admin_client.get(reverse("staff_wallet:user_ledger", args=[few.pk])))
    many_count = _queries(lambda: admin_client.get(reverse("staff_wallet:user_ledger", args=[many.pk])))
    # then
    assert many_count == few_count


def _paid_topups_with_refunds(rows: int) -> None:
    now = timezone.now()
    for n in range(rows):
        user = UserFactory()
        topup = TopUp.objects.create(
            user=user,
            amount=D("10.00"),
            status=TopUp.Status.PAID,
            stripe_checkout_session_id=f"cs_qc_{user.pk}",
            stripe_payment_intent_id=f"pi_qc_{user.pk}",
            paid_at=now,
        )
        Refund.objects.create(topup=topup, user=user, amount=D("1.00"), reason="asked", requested_by=AdminFactory())
        StripeEvent.objects.create(
            stripe_event_id=f"evt_qc_{user.pk}_{n}", type="charge.refunded", payload={}, status="failed"
        )


@pytest.mark.django_db
def test_staff_refunds_many_rows_same_queries_as_few(admin_client):
    # given
    _paid_topups_with_refunds(FEW)
    few_count = _queries(lambda: admin_client.get(reverse("staff_wallet:refunds")))
    _paid_topups_with_refunds(MANY)
    # when
    many_count = _queries(lambda: admin_client.get(reverse("staff_wallet:refunds")))
    # then
    assert many_count == few_count
