"""Lifecycle of a reading: request, accept, decline, end, timeouts, settlement."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.readings.enums import EndReason, SessionState
from apps.readings.exceptions import SessionNotFound, SessionRefused
from apps.readings.models import ReadingSession
from apps.readings.services import (
    session_accept,
    session_bill_tick,
    session_decline,
    session_end,
    session_finalize,
    session_heartbeat,
    session_request,
)
from apps.readings.tests.helpers import (
    credit,
    hold_balance,
    ledger_minutes,
    make_reader,
    wallet_balance,
)

pytestmark = pytest.mark.django_db


def test_session_request_without_a_minute_of_funds_is_refused(client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("1.99"))
    # when / then
    with pytest.raises(SessionRefused, match="at least one minute"):
        session_request(client=client_user, reader=reader, modality="text")
    assert not ReadingSession.objects.exists()


def test_session_accept_charges_minute_one_into_the_hold(client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when
    session = session_accept(reader=reader, session_id=session.pk)
    # then
    assert session.state == SessionState.ACTIVE
    assert session.minutes_billed == 1
    assert wallet_balance(client_user) == Decimal("8.00")
    assert hold_balance(session) == Decimal("2.00")
    assert ledger_minutes(session) == [f"session:{session.pk}:minute:1"]


def test_session_full_reading_bills_started_minutes_and_settles(client_user):
    # given
    t0 = timezone.now()
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    # when: both sides present for 130 s, with ticks every 10 s
    for second in range(10, 131, 10):
        at = t0 + timedelta(seconds=second)
        session_heartbeat(user=client_user, session_id=session.pk, at=at, now=at)
        session_heartbeat(user=reader, session_id=session.pk, at=at, now=at)
        session_bill_tick(now=at)
    session_end(actor=client_user, session_id=session.pk, reason="", now=t0 + timedelta(seconds=131))
    session = session_finalize(session_id=session.pk, now=t0 + timedelta(seconds=132))
    # then: 130 s of active time = 3 started minutes
    assert session.state == SessionState.FINALIZED
    assert session.active_seconds == Decimal("130")
    assert session.minutes_billed == 3
    assert wallet_balance(client_user) == Decimal("4.00")
    assert hold_balance(session) == Decimal("0.00")
    assert session.reader_share_amount == Decimal("4.20")
    assert session.platform_share_amount == Decimal("1.80")
    call_command("ledger_check")


def test_session_decline_ends_unbilled(client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when
    session = session_decline(reader=reader, session_id=session.pk)
    # then
    assert session.state == SessionState.ENDED
    assert session.end_reason == EndReason.DECLINED
    assert wallet_balance(client_user) == Decimal("10.00")


def test_session_request_not_answered_in_60_seconds_ends_unbilled(client_user):
    # given
    t0 = timezone.now()
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    # when
    session_bill_tick(now=t0 + timedelta(seconds=61))
    # then
    session.refresh_from_db()
    assert session.state == SessionState.FINALIZED
    assert session.end_reason == EndReason.REQUEST_TIMEOUT
    assert session.minutes_billed == 0
    assert wallet_balance(client_user) == Decimal("10.00")


def test_session_heartbeat_by_someone_else_is_not_found(client_user, other_client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when / then
    with pytest.raises(SessionNotFound):
        session_heartbeat(user=other_client_user, session_id=session.pk)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unverified", "Verify your email"),
        ("offline", "offline"),
        ("busy", "another reading"),
        ("voice_without_agora", "Agora"),
        ("not_offered", "Choose"),
        ("cap_below_rate", "spending limit"),
        ("self", "yourself"),
    ],
)
def test_session_request_refused_with_a_clear_message_and_nothing_written(setup, message):
    # given
    from apps.accounts.tests.factories import UserFactory
    from apps.readers.enums import Presence
    from apps.readers.models import ReaderProfile

    client = UserFactory(verified=setup != "unverified")
    reader = make_reader(online=setup != "offline")
    credit(client, Decimal("10.00"))
    kwargs = {"client": client, "reader": reader, "modality": "text"}
    if setup == "busy":
        ReaderProfile.objects.filter(user=reader).update(presence=Presence.BUSY)
    if setup == "voice_without_agora":
        kwargs["modality"] = "voice"
    if setup == "not_offered":
        kwargs["modality"] = "telepathy"
    if setup == "cap_below_rate":
        kwargs["spending_cap"] = Decimal("1.00")
    if setup == "self":
        kwargs["reader"] = client
    # when / then
    with pytest.raises(SessionRefused, match=message):
        session_request(**kwargs)
    assert not ReadingSession.objects.exists()


def test_session_request_client_already_in_a_reading_refused(client_user):
    # given
    credit(client_user, Decimal("10.00"))
    session_request(client=client_user, reader=make_reader(), modality="text")
    # when / then
    with pytest.raises(SessionRefused, match="already"):
        session_request(client=client_user, reader=make_reader(), modality="text")
    assert ReadingSession.objects.count() == 1


def test_session_accept_wallet_emptied_meanwhile_ends_unbilled(client_user):
    # given: the wallet was spent between the request and the answer
    from apps.wallet.enums import TransactionKind
    from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("2.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    transaction_post(
        kind=TransactionKind.GIFT,
        idempotency_key="spent-elsewhere",
        postings=[
            (wallet_account(client_user), Decimal("-1.00")),
            (house_account("platform:revenue"), Decimal("1.00")),
        ],
    )
    # when
    session = session_accept(reader=reader, session_id=session.pk)
    # then
    assert session.state == SessionState.ENDED
    assert session.end_reason == EndReason.INSUFFICIENT_FUNDS
    assert session.minutes_billed == 0
    assert wallet_balance(client_user) == Decimal("1.00")


def test_session_end_reader_goes_back_online_and_settles_with_reader_rate(client_user):
    # given
    from apps.readers.enums import Presence
    from apps.readers.models import ReaderProfile

    t0 = timezone.now()
    reader = make_reader(rate=Decimal("3.33"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    assert ReaderProfile.objects.get(user=reader).presence == Presence.BUSY
    # when
    session_end(actor=reader, session_id=session.pk, reason="", now=t0 + timedelta(seconds=5))
    session = session_finalize(session_id=session.pk)
    # then: floor(3.33 × 0.70) = 2.33 to the reader, 1.00 to the platform
    assert ReaderProfile.objects.get(user=reader).presence == Presence.ONLINE
    assert session.end_reason == EndReason.READER_ENDED
    assert (session.reader_share_amount, session.platform_share_amount) == (Decimal("2.33"), Decimal("1.00"))
    assert session.summary["minutes_billed"] == 1 and session.summary["amount"] == "3.33"
    call_command("ledger_check")


def test_ledger_check_flags_a_minute_charged_outside_the_reading(client_user):
    # given: a minute posted to the hold that the reading never billed
    from django.core.management.base import CommandError

    from apps.wallet.enums import TransactionKind
    from apps.wallet.services.ledger import hold_account, transaction_post, wallet_account

    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    transaction_post(
        kind=TransactionKind.SESSION_CHARGE,
        idempotency_key=f"session:{session.pk}:minute:2",
        postings=[
            (wallet_account(client_user), Decimal("-2.00")),
            (hold_account("session", session.pk), Decimal("2.00")),
        ],
        user=client_user,
        session_id=session.pk,
    )
    # when / then
    with pytest.raises(CommandError):
        call_command("ledger_check")
    from apps.wallet.models import LedgerCheckRun

    report = LedgerCheckRun.objects.latest("started_at").report
    assert [v["check"] for v in report["violations"]] == ["session_minutes_justified"]


def test_ledger_check_flags_a_finalized_reading_whose_hold_still_holds_money(client_user):
    # given: a settled reading, then a stray cent posted into its hold
    from django.core.management.base import CommandError

    from apps.wallet.enums import TransactionKind
    from apps.wallet.models import LedgerCheckRun
    from apps.wallet.services.ledger import hold_account, house_account, transaction_post

    t0 = timezone.now()
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    session_end(actor=reader, session_id=session.pk, reason="", now=t0 + timedelta(seconds=5))
    session_finalize(session_id=session.pk)
    call_command("ledger_check")
    transaction_post(
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key=f"test-stray-cent:{session.pk}",
        postings=[
            (hold_account("session", session.pk), Decimal("0.01")),
            (house_account("platform:losses"), Decimal("-0.01")),
        ],
    )
    # when / then
    with pytest.raises(CommandError):
        call_command("ledger_check")
    [violation] = LedgerCheckRun.objects.latest("started_at").report["violations"]
    assert violation == {
        "check": "finished_subject_holds_nothing",
        "subject_type": "session",
        "subject_id": session.pk,
        "code": f"hold:session:{session.pk}",
        "held": "0.01",
    }


def test_session_finalize_settlement_carries_the_reading_as_its_subject(client_user):
    # given
    from apps.wallet.models import Transaction

    t0 = timezone.now()
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    session_end(actor=reader, session_id=session.pk, reason="", now=t0 + timedelta(seconds=5))
    # when
    session_finalize(session_id=session.pk)
    # then: the minute and the settlement name the reading, both as a subject and in session_id
    rows = Transaction.objects.filter(subject_type="session", subject_id=session.pk).order_by("pk")
    assert [(t.idempotency_key, t.session_id) for t in rows] == [
        (f"session:{session.pk}:minute:1", session.pk),
        (f"session:{session.pk}:settlement", session.pk),
    ]
