"""One clock for readings: the database's. A web process whose clock is off by 40 s from the worker's must
change nothing: no reconnect, no heartbeat in the future (which would bill time after a party left)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readings.clock import db_now
from apps.readings.enums import SessionState
from apps.readings.services import session_accept, session_bill_tick, session_heartbeat, session_request
from apps.readings.tests.helpers import credit, make_reader

pytestmark = pytest.mark.django_db
SKEW = timedelta(seconds=40)


def _skewed_clock(offset: timedelta):
    real_now = timezone.now
    return lambda: real_now() + offset


@pytest.mark.parametrize(("web_offset", "worker_offset"), [(-SKEW, timedelta(0)), (timedelta(0), SKEW)])
def test_session_bill_tick_with_web_and_worker_clocks_40s_apart_keeps_the_reading_active(
    monkeypatch, web_offset, worker_offset
):
    # given a reader and a funded client
    client, reader = UserFactory(), make_reader(rate=Decimal("2.00"))
    credit(client, Decimal("10.00"))
    # when the web process (its clock off by web_offset) starts the reading and takes both heartbeats
    with monkeypatch.context() as web:
        web.setattr(timezone, "now", _skewed_clock(web_offset))
        session = session_request(client=client, reader=reader, modality="text")
        session_accept(reader=reader, session_id=session.pk)
        for user in (client, reader):
            session_heartbeat(user=user, session_id=session.pk)
    # and the worker (its clock off by worker_offset) runs the tick right after
    with monkeypatch.context() as worker:
        worker.setattr(timezone, "now", _skewed_clock(worker_offset))
        result = session_bill_tick()
    # then nobody is taken for gone: the reading stays active with its first minute
    session.refresh_from_db()
    assert result.reconnecting == 0
    assert session.state == SessionState.ACTIVE
    assert session.reconnect_count == 0
    assert session.minutes_billed == 1


def test_session_heartbeat_from_a_web_clock_40s_ahead_is_stamped_with_the_database_time(monkeypatch):
    # given an active reading
    client, reader = UserFactory(), make_reader()
    credit(client, Decimal("10.00"))
    session = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    # when the client's heartbeat reaches a web process whose clock is 40 s ahead, and the reader's room
    # reports a presence event stamped 40 s in the future
    with monkeypatch.context() as web:
        web.setattr(timezone, "now", _skewed_clock(SKEW))
        session_heartbeat(user=client, session_id=session.pk)
        session_heartbeat(user=reader, session_id=session.pk, at=timezone.now())
    # then neither heartbeat is in the future of the database's clock
    database_time = db_now()
    session.refresh_from_db()
    assert session.client_heartbeat_at <= database_time
    assert session.reader_heartbeat_at <= database_time
    assert session.active_since_at <= database_time
