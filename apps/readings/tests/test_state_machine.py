"""The one transition function: the allowed-transition table, events, and refusals that change nothing."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.readings.enums import SessionState
from apps.readings.exceptions import InvalidTransition
from apps.readings.locks import session_lock
from apps.readings.models import SessionEvent
from apps.readings.services import ALLOWED_TRANSITIONS, session_accept, session_transition
from apps.readings.tests.helpers import start_reading

pytestmark = pytest.mark.django_db
S = SessionState


def test_allowed_transitions_table_is_the_spec():
    # then
    assert {
        S.CREATED: {S.WAITING},
        S.WAITING: {S.ACTIVE, S.ENDED},
        S.ACTIVE: {S.PAUSED, S.RECONNECTING, S.ENDED},
        S.PAUSED: {S.ACTIVE, S.ENDED},
        S.RECONNECTING: {S.ACTIVE, S.ENDED},
        S.ENDED: {S.FINALIZED},
        S.FINALIZED: set(),
    } == ALLOWED_TRANSITIONS


@pytest.mark.parametrize("target", [S.CREATED, S.WAITING, S.FINALIZED, S.ACTIVE])
def test_session_transition_not_in_the_table_refused_and_nothing_recorded(target):
    # given: an active reading
    session, _, _ = start_reading(funds=Decimal("10.00"), at=timezone.now())
    events = SessionEvent.objects.filter(session=session).count()
    # when / then
    with pytest.raises(InvalidTransition), transaction.atomic():
        session_transition(session=session_lock(session_id=session.pk), to_state=target, reason="x", now=timezone.now())
    session.refresh_from_db()
    assert session.state == S.ACTIVE
    assert SessionEvent.objects.filter(session=session).count() == events


def test_session_transition_records_event_with_server_time_actor_and_accounting():
    # given
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("10.00"), at=t0)
    # then: created → waiting → active, each an event
    events = list(session.events.order_by("at", "pk"))
    assert [(e.from_state, e.to_state) for e in events] == [(S.CREATED, S.WAITING), (S.WAITING, S.ACTIVE)]
    assert events[0].actor == client and events[1].actor == reader
    assert events[1].at == t0 and events[1].minutes_billed == 1


def test_session_accept_twice_refused_and_charges_once():
    # given
    session, _, reader = start_reading(funds=Decimal("10.00"), at=timezone.now())
    # when / then
    with pytest.raises(InvalidTransition):
        session_accept(reader=reader, session_id=session.pk)
    session.refresh_from_db()
    assert session.minutes_billed == 1
