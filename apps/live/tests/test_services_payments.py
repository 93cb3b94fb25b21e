"""Tickets and gifts: one ledger transaction each (70% to the reader, 30% to the platform), idempotent, refused
with nothing written when the wallet cannot pay, and exact under concurrency."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.live.access import stream_access_for
from apps.live.enums import EventKind, Visibility
from apps.live.exceptions import (
    GiftKindNotFound,
    InvalidStream,
    NotForHost,
    RemovedFromStream,
    StreamNotFound,
    StreamNotLive,
    TicketNotNeeded,
)
from apps.live.locks import stream_gift_lock
from apps.live.models import StreamEvent, StreamGift, StreamTicket, StreamViewer
from apps.live.services.payments import gift_send, ticket_buy
from apps.live.services.streams import stream_end, stream_invite, viewer_heartbeat, viewer_remove
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import IdempotencyConflict, InsufficientFunds
from apps.wallet.models import Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import house_account
from tests.support.racing import race

from .factories import balance, follower_of, funded, gift_kind, live_stream, make_host, scheduled_stream

D = Decimal
pytestmark = pytest.mark.django_db


# --- tickets ----------------------------------------------------------------------------------------------------


def test_ticket_buy_pays_reader_seventy_percent_platform_rest():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="20.00")
    # when
    ticket = ticket_buy(actor=viewer, stream_id=stream.pk)
    # then
    assert ticket.price_amount == D("5.00")
    assert ticket.transaction.kind == TransactionKind.TICKET
    assert (ticket.transaction.subject_type, ticket.transaction.subject_id) == ("livestream", stream.pk)
    assert balance(f"wallet:{viewer.pk}") == D("15.00")
    assert balance(f"earnings:{stream.host_id}") == D("3.50")
    assert balance_of(house_account("platform:revenue")) == D("1.50")
    assert StreamEvent.objects.filter(stream=stream, kind=EventKind.TICKET, user=viewer).count() == 1


def test_ticket_buy_twice_charges_once():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="20.00")
    # when
    first = ticket_buy(actor=viewer, stream_id=stream.pk)
    second = ticket_buy(actor=viewer, stream_id=stream.pk)
    # then
    assert first.pk == second.pk
    assert balance(f"wallet:{viewer.pk}") == D("15.00")


def test_ticket_buy_without_funds_refused_nothing_written():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="4.99")
    # when / then
    with pytest.raises(InsufficientFunds):
        ticket_buy(actor=viewer, stream_id=stream.pk)
    assert not StreamTicket.objects.exists()
    assert not Transaction.objects.filter(kind=TransactionKind.TICKET).exists()
    assert balance(f"wallet:{viewer.pk}") == D("4.99")


def test_ticket_buy_public_stream_refused():
    # given
    stream = live_stream()
    # when / then
    with pytest.raises(TicketNotNeeded):
        ticket_buy(actor=funded(), stream_id=stream.pk)


def test_ticket_buy_host_refused():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    # when / then
    with pytest.raises(NotForHost):
        ticket_buy(actor=stream.host, stream_id=stream.pk)


def test_ticket_buy_for_scheduled_stream_allowed_ended_refused():
    # given
    upcoming = scheduled_stream(visibility=Visibility.PREMIUM, ticket_price_amount="3.00")
    ended = live_stream(visibility=Visibility.PREMIUM, price="3.00")
    stream_end(actor=ended.host, stream_id=ended.pk)
    viewer = funded()
    # when
    ticket = ticket_buy(actor=viewer, stream_id=upcoming.pk)
    # then
    assert ticket.stream_id == upcoming.pk
    with pytest.raises(Exception, match="ended"):
        ticket_buy(actor=viewer, stream_id=ended.pk)


@pytest.mark.django_db(transaction=True)
def test_ticket_buy_two_racing_purchases_one_ticket_one_charge():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="20.00")
    # when
    outcomes = race(*[lambda: ticket_buy(actor=viewer, stream_id=stream.pk) for _ in range(2)])
    # then
    assert all(isinstance(outcome, StreamTicket) for outcome in outcomes), outcomes
    assert len({outcome.pk for outcome in outcomes}) == 1
    assert StreamTicket.objects.count() == 1
    assert Transaction.objects.filter(kind=TransactionKind.TICKET).count() == 1
    assert StreamEvent.objects.filter(kind=EventKind.TICKET).count() == 1
    assert balance(f"wallet:{viewer.pk}") == D("15.00")
    call_command("ledger_check")


# --- gifts ------------------------------------------------------------------------------------------------------


def test_gift_send_one_transaction_and_event_seventy_thirty():
    # given
    stream = live_stream()
    kind = gift_kind("2.50")
    viewer = funded(amount="10.00")
    # when
    gift = gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="key-0001-abcdef")
    # then
    assert gift.transaction.kind == TransactionKind.GIFT
    assert gift.transaction.idempotency_key == f"gift:{viewer.pk}:key-0001-abcdef"
    assert (gift.price_amount, gift.reader_amount) == (D("2.50"), D("1.75"))
    assert balance(f"wallet:{viewer.pk}") == D("7.50")
    assert balance(f"earnings:{stream.host_id}") == D("1.75")
    assert balance_of(house_account("platform:revenue")) == D("0.75")
    assert StreamEvent.objects.get(gift=gift).kind == EventKind.GIFT


def test_gift_send_same_key_twice_charges_once():
    # given
    stream = live_stream()
    kind = gift_kind("1.00")
    viewer = funded(amount="10.00")
    # when
    first = gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="same-key-123")
    second = gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="same-key-123")
    # then
    assert first.pk == second.pk
    assert balance(f"wallet:{viewer.pk}") == D("9.00")
    assert StreamEvent.objects.filter(kind=EventKind.GIFT).count() == 1


def test_gift_send_same_key_other_gift_refused():
    # given
    stream = live_stream()
    viewer = funded(amount="10.00")
    gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind("1.00").pk, client_key="reused-key-1")
    # when / then
    with pytest.raises(IdempotencyConflict):
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind("2.00").pk, client_key="reused-key-1")
    assert balance(f"wallet:{viewer.pk}") == D("9.00")


def test_gift_send_without_funds_refused_nothing_written():
    # given
    stream = live_stream()
    kind = gift_kind("5.00")
    viewer = funded(amount="4.00")
    # when / then
    with pytest.raises(InsufficientFunds):
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="poor-key-123")
    assert not StreamGift.objects.exists()
    assert not StreamEvent.objects.filter(kind=EventKind.GIFT).exists()
    assert not Transaction.objects.filter(kind=TransactionKind.GIFT).exists()
    assert balance(f"wallet:{viewer.pk}") == D("4.00")


@pytest.mark.parametrize("key", ["", "short", "has spaces in it", "x" * 65])
def test_gift_send_bad_key_refused(key):
    # given
    stream = live_stream()
    viewer = funded()
    # when / then
    with pytest.raises(InvalidStream):
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key=key)
    assert not StreamGift.objects.exists()


def test_gift_send_inactive_gift_refused():
    # given
    stream = live_stream()
    kind = gift_kind(is_active=False)
    # when / then
    with pytest.raises(GiftKindNotFound):
        gift_send(actor=funded(), stream_id=stream.pk, gift_kind_id=kind.pk, client_key="inactive-key")


def test_gift_send_host_refused():
    # given
    stream = live_stream()
    # when / then
    with pytest.raises(NotForHost):
        gift_send(actor=stream.host, stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key="host-key-1")


def test_gift_send_ended_stream_refused():
    # given
    stream = live_stream()
    stream_end(actor=stream.host, stream_id=stream.pk)
    # when / then
    with pytest.raises(StreamNotLive):
        gift_send(actor=funded(), stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key="late-key-1")


def test_gift_send_private_not_invited_not_found_premium_without_ticket_not_found():
    # given
    host = make_host()
    private = live_stream(host, visibility=Visibility.PRIVATE)
    premium = live_stream(make_host(), visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded()
    kind = gift_kind()
    # when / then
    with pytest.raises(StreamNotFound):
        gift_send(actor=viewer, stream_id=private.pk, gift_kind_id=kind.pk, client_key="private-key-1")
    with pytest.raises(StreamNotFound):
        gift_send(actor=viewer, stream_id=premium.pk, gift_kind_id=kind.pk, client_key="premium-key-1")
    assert not StreamGift.objects.exists()


def test_gift_send_invited_follower_allowed():
    # given
    host = make_host()
    guest = funded(follower_of(host))
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    from apps.live.services.streams import stream_start

    stream_start(actor=host, stream_id=stream.pk)
    # when
    gift = gift_send(actor=guest, stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key="guest-key-1")
    # then
    assert gift.sender_id == guest.pk


def test_gift_send_removed_viewer_refused():
    # given
    stream = live_stream()
    viewer = funded()
    viewer_heartbeat(actor=viewer, stream=stream)
    viewer_remove(actor=stream.host, stream_id=stream.pk, user_id=viewer.pk)
    # when / then
    with pytest.raises(RemovedFromStream):
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key="removed-key")


@pytest.mark.django_db(transaction=True)
def test_gift_send_fifty_at_once_from_wallet_for_ten_exactly_ten_succeed():
    # given: a wallet that covers exactly 10 gifts of $1.30
    stream = live_stream()
    kind = gift_kind("1.30")
    viewer = funded(UserFactory(), amount="13.00")

    def send(index: int):
        return lambda: gift_send(
            actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key=f"race-{index:04d}"
        )

    # when
    outcomes = race(*[send(index) for index in range(50)], timeout=120)
    # then
    sent = [outcome for outcome in outcomes if isinstance(outcome, StreamGift)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientFunds)]
    assert len(sent) == 10, outcomes
    assert len(refused) == 40
    assert all("not enough money" in error.message for error in refused)
    assert StreamGift.objects.count() == 10
    assert StreamEvent.objects.filter(kind=EventKind.GIFT).count() == 10
    assert Transaction.objects.filter(kind=TransactionKind.GIFT).count() == 10
    assert balance(f"wallet:{viewer.pk}") == D("0.00")
    # 70% of $1.30 is $0.91 exactly, ten times
    assert balance(f"earnings:{stream.host_id}") == D("9.10")
    assert balance_of(house_account("platform:revenue")) == D("3.90")
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_gift_send_same_key_racing_one_gift_one_charge():
    # given
    stream = live_stream()
    kind = gift_kind("2.00")
    viewer = funded(amount="10.00")
    # when
    outcomes = race(
        *[
            lambda: gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="double-click")
            for _ in range(4)
        ]
    )
    # then
    assert all(isinstance(outcome, StreamGift) for outcome in outcomes), outcomes
    assert StreamGift.objects.count() == 1
    assert StreamEvent.objects.filter(kind=EventKind.GIFT).count() == 1
    assert balance(f"wallet:{viewer.pk}") == D("8.00")
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_stream_end_racing_gifts_no_gift_after_the_end():
    # given
    stream = live_stream()
    kind = gift_kind("1.00")
    viewers = [funded(amount="5.00") for _ in range(6)]
    # when
    calls = [
        (lambda v=v: gift_send(actor=v, stream_id=stream.pk, gift_kind_id=kind.pk, client_key=f"end-race-{v.pk}"))
        for v in viewers
    ]
    race(*calls, lambda: stream_end(actor=stream.host, stream_id=stream.pk))
    # then: every gift that was written was written before the end, and the earnings match them
    stream.refresh_from_db()
    assert all(gift.created_at <= stream.ended_at for gift in StreamGift.objects.all())
    assert balance(f"earnings:{stream.host_id}") == D("0.70") * StreamGift.objects.count()
    call_command("ledger_check")


def test_gift_and_ticket_unverified_email_refused_nothing_written():
    # given
    from apps.core.exceptions import PermissionDeniedError

    stream = live_stream()
    premium = live_stream(visibility=Visibility.PREMIUM, price="2.00")
    viewer = funded(UserFactory(verified=False))
    # when / then
    with pytest.raises(PermissionDeniedError, match="verify your email"):
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind().pk, client_key="unverified-1")
    with pytest.raises(PermissionDeniedError, match="verify your email"):
        ticket_buy(actor=viewer, stream_id=premium.pk)
    assert not StreamGift.objects.exists() and not StreamTicket.objects.exists()
    assert balance(f"wallet:{viewer.pk}") == D("20.00")


# --- the gift's statements and the access facts read with the stream ----------------------------------------------


def test_gift_send_runs_six_statements_in_its_transaction():
    # given: a viewer and a reader whose accounts exist (a first gift creates the reader's earnings account)
    stream = live_stream()
    kind = gift_kind("1.00")
    viewer = funded(amount="10.00")
    gift_send(actor=funded(), stream_id=stream.pk, gift_kind_id=kind.pk, client_key="warm-up-key-1")
    # when
    with CaptureQueriesContext(connection) as captured:
        gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="counted-key-1")
    # then: the stream held with what the gift checks, the reader's rate, the three accounts, the ledger's lock and
    # write, the gift with its event
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 6, statements
    assert "FOR KEY SHARE" in statements[0]
    assert statements[-1].startswith("WITH g AS (INSERT INTO live_streamgift")
    assert StreamEvent.objects.filter(kind=EventKind.GIFT, user=viewer).count() == 1


@pytest.mark.parametrize("visibility", [Visibility.PUBLIC, Visibility.PRIVATE, Visibility.PREMIUM])
@pytest.mark.parametrize("invited", [False, True])
@pytest.mark.parametrize("ticket", [False, True])
@pytest.mark.parametrize("removed", [False, True])
def test_stream_gift_lock_access_facts_decide_as_the_queries_do(visibility, invited, ticket, removed):
    # given: a viewer in every combination of invite, ticket and removal
    host = make_host()
    viewer = funded(follower_of(host))
    stream = live_stream(host, visibility=visibility, price="3.00" if visibility == Visibility.PREMIUM else None)
    if invited and visibility == Visibility.PRIVATE:
        stream_invite(actor=host, stream_id=stream.pk, user_id=viewer.pk)
    if ticket and visibility == Visibility.PREMIUM:
        ticket_buy(actor=viewer, stream_id=stream.pk)
    if removed:
        StreamViewer.objects.create(stream=stream, user=viewer, last_seen_at=timezone.now(), removed_at=timezone.now())
    # when
    with transaction.atomic():
        found = stream_gift_lock(stream_id=stream.pk, sender_id=viewer.pk, gift_kind_id=0, client_key="facts-key")
    # then
    assert found.payment is not None and found.gift_kind is None and found.earlier_gift is None
    assert found.payment.stream.host == host
    assert found.payment.payer_email_verified
    by_facts = stream_access_for(viewer=viewer, stream=found.payment.stream, facts=found.payment.facts)
    assert by_facts == stream_access_for(viewer=viewer, stream=stream)


def test_gift_send_key_used_in_another_stream_refused_even_if_this_stream_does_not_exist():
    # given
    stream = live_stream()
    viewer = funded()
    kind = gift_kind()
    gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="moved-key-1")
    # when / then
    with pytest.raises(IdempotencyConflict):
        gift_send(actor=viewer, stream_id=stream.pk + 1000, gift_kind_id=kind.pk, client_key="moved-key-1")
    with pytest.raises(StreamNotFound):
        gift_send(actor=viewer, stream_id=stream.pk + 1000, gift_kind_id=kind.pk, client_key="fresh-key-1")


def test_gift_send_replayed_after_the_stream_ended_returns_the_gift():
    # given
    stream = live_stream()
    viewer = funded(amount="1.00")
    kind = gift_kind("1.00")
    first = gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="before-end-1")
    stream_end(actor=stream.host, stream_id=stream.pk)
    # when
    again = gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="before-end-1")
    # then
    assert again.pk == first.pk
    assert StreamGift.objects.count() == 1
    assert balance(f"wallet:{viewer.pk}") == D("0.00")
