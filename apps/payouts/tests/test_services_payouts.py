"""Payouts end to end against the local Stripe server: the ledger move and outbox row in one transaction, the
transfer made once whatever crashes, money returned on refusal, reversal and disconnection, and the rules (KYC,
holds, the pause, the minimum)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory
from apps.core import outbox
from apps.core.models import AuditLog, OutboxMessage
from apps.notifications.models import Notification
from apps.payouts import services
from apps.payouts.enums import PayoutStatus
from apps.payouts.exceptions import (
    PayoutAccountNotVerified,
    PayoutAlreadyPending,
    PayoutBelowMinimum,
    PayoutsHeld,
    PayoutsPaused,
)
from apps.payouts.models import Payout, PayoutAccount
from apps.payouts.services import payouts as payouts_module
from apps.readings.tests.helpers import make_reader
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_server import CONNECT_WEBHOOK_SECRET, webhook_post

from .helpers import earn, earnings, in_transit, ledger_clean, verified_reader

pytestmark = pytest.mark.django_db

CONNECT_WEBHOOK = "/payouts/stripe/connect-webhook/"


def _drain(*, later: float = 0) -> int:
    return outbox.outbox_drain(now=timezone.now() + timedelta(seconds=later))


def _after_backoff() -> int:
    return _drain(later=settings.OUTBOX_RETRY_MAX_SECONDS + settings.OUTBOX_LEASE_SECONDS + 1)


def test_payout_request_moves_earnings_into_transit_and_queues_the_transfer_in_one_transaction(stripe_server):
    # given a verified reader with $42.50 of earnings
    reader = verified_reader(stripe_server)
    earn(reader, "42.50")
    # when they ask to be paid
    payout = services.payout_request(reader=reader)
    # then everything is in transit, the outbox holds the transfer, and Stripe was not called yet
    assert payout.status == PayoutStatus.PENDING and payout.amount == Decimal("42.50")
    assert earnings(reader) == Decimal("0.00") and in_transit() == Decimal("42.50")
    assert Transaction.objects.get(idempotency_key=f"payout:{payout.pk}").kind == TransactionKind.PAYOUT
    assert OutboxMessage.objects.filter(name=services.TRANSFER_SEND, kwargs={"payout_id": payout.pk}).count() == 1
    assert stripe_server.requests_to("POST", "/v1/transfers") == []
    ledger_clean()
    # when the outbox runs
    _drain()
    # then one transfer to the reader's account, keyed by the payout, and the payout is paid
    (request,) = stripe_server.requests_to("POST", "/v1/transfers")
    assert request.idempotency_key == f"payout-{payout.pk}"
    assert request.params["amount"] == "4250" and request.params["transfer_group"] == f"payout-{payout.pk}"
    assert request.params["destination"] == PayoutAccount.objects.get(reader=reader).stripe_account_id
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.stripe_transfer_id in stripe_server.transfers
    assert in_transit() == Decimal("0.00")
    assert Notification.objects.filter(user=reader, kind="account.payout_sent").exists()
    assert AuditLog.objects.filter(action="payouts.transferred", target_id=str(payout.pk)).exists()
    ledger_clean()


def test_worker_killed_between_commit_and_stripe_call_pays_once_later(stripe_server):
    # given a payout committed, whose message a worker claimed and then died before calling Stripe
    reader = verified_reader(stripe_server)
    earn(reader, "20.00")
    payout = services.payout_request(reader=reader)
    claimed = outbox._claim(message_id=None, now=timezone.now())
    assert claimed is not None and claimed.name == services.TRANSFER_SEND
    # when the sweep runs while the dead worker's lease still holds: nothing; after it: the transfer
    _drain()
    assert stripe_server.requests_to("POST", "/v1/transfers") == []
    _drain(later=settings.OUTBOX_LEASE_SECONDS + 1)
    # then exactly one transfer, the payout paid, nothing lost
    assert len(stripe_server.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    _after_backoff()
    assert len(stripe_server.transfers) == 1
    ledger_clean()


@pytest.mark.parametrize("stripe_still_knows_the_key", [True, False])
def test_worker_killed_after_stripe_call_before_recording_never_pays_twice(
    stripe_server, monkeypatch, stripe_still_knows_the_key
):
    # given a payout whose first attempt made the transfer and then died before recording it
    reader = verified_reader(stripe_server)
    earn(reader, "31.00")
    payout = services.payout_request(reader=reader)
    real_record = payouts_module.payout_transfer_record
    calls = {"n": 0}

    def dies_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("worker lost its database connection")
        return real_record(**kwargs)

    monkeypatch.setattr(payouts_module, "payout_transfer_record", dies_once)
    if stripe_still_knows_the_key:
        # Stripe's transfer listing lags: only the idempotency key can find the first transfer.
        monkeypatch.setattr(payouts_module.stripe_gateway, "transfers_of_group", lambda group: [])
    _drain()
    assert len(stripe_server.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and in_transit() == Decimal("31.00")
    if not stripe_still_knows_the_key:
        stripe_server._idempotent.clear()  # a retry a day later: Stripe forgot the key; the group finds it
    # when the outbox retries
    _after_backoff()
    # then still exactly one transfer, recorded; the payout is paid once
    assert len(stripe_server.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.stripe_transfer_id == next(iter(stripe_server.transfers))
    assert Transaction.objects.filter(idempotency_key__startswith=f"payout:{payout.pk}").count() == 2
    assert in_transit() == Decimal("0.00")
    ledger_clean()


def test_transfer_reversed_returns_the_money_to_earnings_once(client, stripe_server):
    # given a paid payout of $25.00
    reader = verified_reader(stripe_server)
    earn(reader, "25.00")
    payout = services.payout_request(reader=reader)
    _drain()
    payout.refresh_from_db()
    AdminFactory()
    # when Stripe reverses $10.00 of it, then the rest, and an event is delivered twice
    partial = stripe_server.transfer_reverse(payout.stripe_transfer_id, 1000)
    event = stripe_server.event("transfer.reversed", partial)
    assert webhook_post(client, event).status_code == 200
    assert webhook_post(client, event).status_code == 200
    stripe_events_process_received()
    assert earnings(reader) == Decimal("10.00")
    full = stripe_server.transfer_reverse(payout.stripe_transfer_id)
    webhook_post(client, stripe_server.event("transfer.reversed", full))
    stripe_events_process_received()
    # then all $25.00 is back, booked as payout reversals, and the payout reads reversed
    assert earnings(reader) == Decimal("25.00")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVERSED and payout.reversed_amount == Decimal("25.00")
    assert Transaction.objects.filter(kind=TransactionKind.PAYOUT_REVERSAL).count() == 2
    assert Notification.objects.filter(kind="account.alert_payout_failed").count() == 2
    ledger_clean()


def test_transfer_refused_by_stripe_fails_the_payout_returns_the_money_and_alerts_admins(stripe_server):
    # given a reader whose Stripe account lost its transfers capability (our mirror has not heard yet)
    reader = verified_reader(stripe_server)
    admin = AdminFactory()
    account = PayoutAccount.objects.get(reader=reader)
    stripe_server.accounts[account.stripe_account_id]["capabilities"] = {"transfers": "inactive"}
    earn(reader, "18.00")
    payout = services.payout_request(reader=reader)
    # when the transfer is attempted
    _drain()
    # then Stripe's 400 fails the payout, the money is back, the reader and the admins are told
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and "transfers capability" in payout.failure_reason
    assert earnings(reader) == Decimal("18.00") and in_transit() == Decimal("0.00")
    assert Notification.objects.filter(user=admin, kind="account.alert_payout_failed").exists()
    assert Notification.objects.filter(user=reader, kind="account.payout_returned").exists()
    assert stripe_server.transfers == {}
    ledger_clean()


def test_stripe_outage_is_retried_and_pays_once(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "16.00")
    payout = services.payout_request(reader=reader)
    stripe_server.fail_next("POST", "/v1/transfers", status=500, times=3)  # the SDK retries twice itself
    _drain()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING
    _after_backoff()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and len(stripe_server.transfers) == 1
    ledger_clean()


def test_deauthorized_account_returns_payouts_not_yet_transferred(client, stripe_server):
    # given a pending payout that waits (payouts are paused)
    reader = verified_reader(stripe_server)
    admin = AdminFactory()
    earn(reader, "30.00")
    payout = services.payout_request(reader=reader)
    services.payouts_pause(actor=admin, reason="Bank holiday checks")
    _drain()
    # when the reader disconnects their account from the platform
    account_id = PayoutAccount.objects.get(reader=reader).stripe_account_id
    event = stripe_server.event(
        "account.application.deauthorized", {"id": "ca_test_platform", "object": "application"}, account=account_id
    )
    assert webhook_post(client, event, secret=CONNECT_WEBHOOK_SECRET, path=CONNECT_WEBHOOK).status_code == 200
    stripe_events_process_received()
    # then the payout failed back to earnings and the account cannot be paid
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and earnings(reader) == Decimal("30.00")
    account = PayoutAccount.objects.get(reader=reader)
    assert account.deauthorized_at is not None and not account.is_verified
    services.payouts_resume(actor=admin)
    _drain()
    assert stripe_server.transfers == {}
    ledger_clean()


def test_bank_payout_failure_on_the_connected_account_alerts_and_moves_no_money(client, stripe_server):
    reader = verified_reader(stripe_server)
    admin = AdminFactory()
    earn(reader, "5.00")
    account_id = PayoutAccount.objects.get(reader=reader).stripe_account_id
    event = stripe_server.event("payout.failed", stripe_server.bank_payout_failed(account_id, 2000), account=account_id)
    webhook_post(client, event, secret=CONNECT_WEBHOOK_SECRET, path=CONNECT_WEBHOOK)
    stripe_events_process_received()
    assert Notification.objects.filter(user=admin, kind="account.alert_payout_failed").exists()
    assert Notification.objects.filter(user=reader, kind="account.payout_returned").exists()
    assert earnings(reader) == Decimal("5.00")


# --- the rules ---------------------------------------------------------------------------------------


def test_payout_request_below_the_minimum_is_refused_and_writes_nothing(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "14.99")
    with pytest.raises(PayoutBelowMinimum):
        services.payout_request(reader=reader)
    assert not Payout.objects.exists() and earnings(reader) == Decimal("14.99")


def test_unverified_reader_is_not_paid(stripe_server):
    # given a reader Stripe verified but the admins have not background-checked, and one who never onboarded
    unchecked = verified_reader(stripe_server, background_check=False)
    never = make_reader()
    for reader in (unchecked, never):
        earn(reader, "50.00")
        # then neither may ask, and the weekly batch passes them over
        with pytest.raises(PayoutAccountNotVerified):
            services.payout_request(reader=reader)
    assert services.payouts_batch_weekly() == 0
    assert not Payout.objects.exists()


def test_held_reader_is_not_paid_and_a_waiting_payout_goes_on_release(stripe_server):
    reader = verified_reader(stripe_server)
    admin = AdminFactory()
    earn(reader, "40.00")
    payout = services.payout_request(reader=reader)
    # when an admin holds the reader before the transfer runs
    services.payout_hold(actor=admin, reader_id=reader.pk, reason="Client complaint under review")
    _drain()
    # then nothing is sent, a new request is refused, and the weekly batch skips them
    assert stripe_server.transfers == {}
    earn(reader, "20.00")
    with pytest.raises(PayoutsHeld):
        services.payout_request(reader=reader)
    assert services.payouts_batch_weekly() == 0
    # when released, the waiting payout is sent (once)
    services.payout_release(actor=admin, reader_id=reader.pk)
    _drain()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and len(stripe_server.transfers) == 1
    assert list(
        AuditLog.objects.filter(action__in=["payouts.held", "payouts.released"])
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "payouts.held",
        "payouts.released",
    ]
    ledger_clean()


def test_global_pause_stops_requests_batches_and_transfers_until_resumed(stripe_server):
    readers = [verified_reader(stripe_server) for _ in range(2)]
    admin = AdminFactory()
    for reader in readers:
        earn(reader, "25.00")
    waiting = services.payout_request(reader=readers[0])
    services.payouts_pause(actor=admin, reason="Stripe balance top-up pending")
    _drain()
    with pytest.raises(PayoutsPaused):
        services.payout_request(reader=readers[1])
    assert services.payouts_batch_weekly() == 0
    assert stripe_server.transfers == {}
    services.payouts_resume(actor=admin)
    _drain()
    waiting.refresh_from_db()
    assert waiting.status == PayoutStatus.PAID
    assert AuditLog.objects.filter(action="payouts.paused", details__reason="Stripe balance top-up pending").exists()
    ledger_clean()


def test_second_request_while_one_is_pending_is_refused(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "30.00")
    services.payout_request(reader=reader)
    earn(reader, "30.00")
    with pytest.raises(PayoutAlreadyPending):
        services.payout_request(reader=reader)
    assert Payout.objects.count() == 1


def test_weekly_batch_pays_each_eligible_reader_once_a_week(stripe_server):
    # given two eligible readers, one with too little, one held
    paid_a, paid_b, small, held = (verified_reader(stripe_server) for _ in range(4))
    admin = AdminFactory()
    earn(paid_a, "12.00")
    earn(paid_b, "99.99")
    earn(small, "0.50")
    earn(held, "50.00")
    services.payout_hold(actor=admin, reader_id=held.pk, reason="Identity mismatch")
    monday = timezone.now()
    # when the batch runs, and runs again the same week after more earnings
    assert services.payouts_batch_weekly(now=monday) == 2
    _drain()
    earn(paid_a, "5.00")
    assert services.payouts_batch_weekly(now=monday + timedelta(hours=1)) == 0
    # then the two were paid once; next week pays the new earnings
    assert sorted(Payout.objects.values_list("amount", flat=True)) == [Decimal("12.00"), Decimal("99.99")]
    assert services.payouts_batch_weekly(now=monday + timedelta(days=7)) == 1
    _drain()
    assert len(stripe_server.transfers) == 3
    assert earnings(held) == Decimal("50.00") and earnings(small) == Decimal("0.50")
    ledger_clean()


def test_ledger_check_reports_in_transit_not_matching_pending_payouts(stripe_server):
    from apps.wallet.services.ledger_check import ledger_check_collect

    reader = verified_reader(stripe_server)
    earn(reader, "20.00")
    payout = services.payout_request(reader=reader)
    assert ledger_check_collect()["ok"]
    Payout.objects.filter(pk=payout.pk).update(amount=Decimal("19.00"))
    report = ledger_check_collect()
    assert [v["check"] for v in report["violations"]] == ["payouts_in_transit_matches_pending"]


def test_account_disconnected_while_the_transfer_is_on_the_wire_is_booked_once(client, stripe_server, monkeypatch):
    # given a pending payout, and the reader disconnecting their account just as the transfer is being made
    reader = verified_reader(stripe_server)
    admin = AdminFactory()
    earn(reader, "26.00")
    payout = services.payout_request(reader=reader)
    account_id = PayoutAccount.objects.get(reader=reader).stripe_account_id
    real_create = payouts_module.stripe_gateway.transfer_create

    def disconnected_meanwhile(**kwargs):
        services.connect_account_deauthorized(stripe_account_id=account_id)  # another worker, the webhook
        return real_create(**kwargs)

    monkeypatch.setattr(payouts_module.stripe_gateway, "transfer_create", disconnected_meanwhile)
    # when the transfer goes through anyway
    _drain()
    # then the money left once: the payout is paid, the earnings it was returned to are taken again
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and len(stripe_server.transfers) == 1
    assert earnings(reader) == Decimal("0.00") and in_transit() == Decimal("0.00")
    assert Notification.objects.filter(user=admin, title__contains="transferred after it had failed").exists()
    ledger_clean()
