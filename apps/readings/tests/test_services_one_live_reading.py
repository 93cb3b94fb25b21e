"""One live reading per client, one reading in progress per reader: the services refuse with a clear message,
the database constraints stand behind them. Races run over real PostgreSQL connections (one per thread)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.accounts.tests.factories import UserFactory
from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from apps.readings.enums import EndReason, SessionState
from apps.readings.exceptions import ClientAlreadyInReading, ReaderAlreadyInReading
from apps.readings.models import ReadingSession
from apps.readings.services import lifecycle, session_accept, session_request
from apps.readings.tests.helpers import credit, hold_balance, make_reader, wallet_balance
from tests.support.racing import race

CLIENT_MESSAGE = "You already have a reading in progress or a request waiting for an answer"
READER_MESSAGE = "You are already in a reading. End it before accepting another request."


@pytest.mark.django_db(transaction=True)
def test_session_request_ten_at_once_from_one_client_leaves_one_reading_and_clear_refusals():
    # given a client with funds for many minutes and an online reader
    client, reader = UserFactory(), make_reader(rate=Decimal("2.00"))
    credit(client, Decimal("20.00"))
    # when the client sends 10 requests at the same instant
    outcomes = race(*[lambda: session_request(client=client, reader=reader, modality="text") for _ in range(10)])
    # then one request waits; the other 9 are refused with the message the start page shows
    created = [o for o in outcomes if isinstance(o, ReadingSession)]
    refused = [o for o in outcomes if isinstance(o, ClientAlreadyInReading)]
    assert len(created) == 1, outcomes
    assert len(refused) == 9, outcomes
    assert all(CLIENT_MESSAGE in error.message for error in refused)
    assert ReadingSession.objects.filter(client=client).count() == 1
    # and accepting it bills one minute once
    session = session_accept(reader=reader, session_id=created[0].pk)
    assert session.state == SessionState.ACTIVE
    assert wallet_balance(client) == Decimal("18.00")
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_session_accept_two_clients_at_once_by_one_reader_one_goes_live_other_refused():
    # given two clients waiting for the same reader
    reader = make_reader(rate=Decimal("2.00"))
    clients = [UserFactory(), UserFactory()]
    requests = []
    for client in clients:
        credit(client, Decimal("10.00"))
        requests.append(session_request(client=client, reader=reader, modality="text"))
    # when the reader accepts both at the same instant (two tabs)
    outcomes = race(*[lambda pk=r.pk: session_accept(reader=reader, session_id=pk) for r in requests])
    # then exactly one reading is live; the other accept is refused with a clear message, nothing charged
    live = [o for o in outcomes if isinstance(o, ReadingSession)]
    refused = [o for o in outcomes if isinstance(o, ReaderAlreadyInReading)]
    assert len(live) == 1 and len(refused) == 1, outcomes
    assert refused[0].message == READER_MESSAGE
    states = dict(ReadingSession.objects.filter(reader=reader).values_list("pk", "state"))
    assert sorted(states.values()) == [SessionState.ACTIVE, SessionState.ENDED]
    other = ReadingSession.objects.get(reader=reader, state=SessionState.ENDED)
    assert other.end_reason == EndReason.READER_BUSY
    assert other.minutes_billed == 0
    assert wallet_balance(other.client) == Decimal("10.00")
    assert wallet_balance(live[0].client) == Decimal("8.00")
    call_command("ledger_check")


@pytest.mark.django_db
def test_session_accept_ends_the_other_requests_waiting_for_the_reader():
    # given three clients waiting for one reader
    reader = make_reader()
    requests = []
    for _ in range(3):
        client = UserFactory()
        credit(client, Decimal("10.00"))
        requests.append(session_request(client=client, reader=reader, modality="text"))
    # when the reader accepts the second one
    session_accept(reader=reader, session_id=requests[1].pk)
    # then the others end unbilled, saying the reader started another reading
    for request in (requests[0], requests[2]):
        request.refresh_from_db()
        assert request.state == SessionState.ENDED
        assert request.end_reason == EndReason.READER_BUSY
        assert request.accepted_at is None


@pytest.mark.django_db
def test_session_request_to_a_reader_in_a_reading_is_refused_even_if_shown_online():
    # given a reader in a reading whose presence still says online
    reader = make_reader()
    first = UserFactory()
    credit(first, Decimal("10.00"))
    session_accept(reader=reader, session_id=session_request(client=first, reader=reader, modality="text").pk)
    ReaderProfile.objects.filter(user=reader).update(presence=Presence.ONLINE)
    second = UserFactory()
    credit(second, Decimal("10.00"))
    # when / then
    with pytest.raises(ReaderAlreadyInReading, match="in another reading right now"):
        session_request(client=second, reader=reader, modality="text")
    assert not ReadingSession.objects.filter(client=second).exists()


@pytest.mark.django_db
def test_session_request_past_the_checks_is_refused_by_the_client_constraint(monkeypatch):
    # given a client waiting for a reading, and the service's own check out of the way
    client = UserFactory()
    credit(client, Decimal("10.00"))
    session_request(client=client, reader=make_reader(), modality="text")
    monkeypatch.setattr(lifecycle, "LIVE_STATES", frozenset())
    # when / then the database refuses the second live reading, and the client reads the same message
    with pytest.raises(ClientAlreadyInReading, match=CLIENT_MESSAGE):
        session_request(client=client, reader=make_reader(), modality="text")
    assert ReadingSession.objects.filter(client=client).count() == 1


@pytest.mark.django_db
def test_session_accept_past_the_checks_is_refused_by_the_reader_constraint(monkeypatch):
    # given a reader in a reading, and a second request that got in while the checks were out of the way
    reader = make_reader(rate=Decimal("2.00"))
    first, second = UserFactory(), UserFactory()
    for client in (first, second):
        credit(client, Decimal("10.00"))
    session_accept(reader=reader, session_id=session_request(client=first, reader=reader, modality="text").pk)
    monkeypatch.setattr(lifecycle, "ENGAGED_STATES", frozenset())
    ReaderProfile.objects.filter(user=reader).update(presence=Presence.ONLINE)
    waiting = session_request(client=second, reader=reader, modality="text")
    # when / then the database refuses a second reading in progress, with the same message, nothing charged
    with pytest.raises(ReaderAlreadyInReading, match=READER_MESSAGE):
        session_accept(reader=reader, session_id=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.state == SessionState.WAITING
    assert wallet_balance(second) == Decimal("10.00")
    assert hold_balance(waiting) == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_session_request_racing_the_readers_accept_never_leaves_a_request_waiting_for_a_busy_reader():
    for _ in range(8):
        # given a client waiting for a reader, and another client about to ask the same reader
        reader = make_reader(rate=Decimal("2.00"))
        first, second = UserFactory(), UserFactory()
        for client in (first, second):
            credit(client, Decimal("10.00"))
        waiting = session_request(client=first, reader=reader, modality="text")
        # when the reader accepts the first at the instant the second client asks
        accepted, requested = race(
            *[
                lambda w=waiting, r=reader: session_accept(reader=r, session_id=w.pk),
                lambda s=second, r=reader: session_request(client=s, reader=r, modality="text"),
            ]
        )
        # then the reading goes live, and the second client is refused or told at once: nothing waits
        assert isinstance(accepted, ReadingSession) and accepted.state == SessionState.ACTIVE, accepted
        if isinstance(requested, ReadingSession):
            requested.refresh_from_db()
            assert requested.state == SessionState.ENDED and requested.end_reason == EndReason.READER_BUSY
        else:
            assert isinstance(requested, ReaderAlreadyInReading), requested
        assert not ReadingSession.objects.filter(reader=reader, state=SessionState.WAITING).exists()
    call_command("ledger_check")
