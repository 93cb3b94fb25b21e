"""Removing people from a channel through Agora's RESTful kicking-rule API, against a local server that checks
the request as Agora documents it (method, path, Basic auth, JSON body)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readers.models import ReaderProfile
from apps.readings.models import ReadingSession
from apps.readings.services import session_accept, session_bill_tick, session_heartbeat, session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.rtc.kicking import AgoraRestError, agora_kick, agora_kick_rule_create, rtc_kick_enqueue
from apps.rtc.services import rtc_token_issue

from .agora_rest_server import CUSTOMER_ID, CUSTOMER_SECRET, KICK_PATH, running_agora_rest_server
from .conftest import APP_ID

pytestmark = pytest.mark.django_db

RATE = Decimal("3.00")
BASIC = "Basic YjNiN2MxZDJlNGY1NGE2YjhjOWQwZTFmMmEzYjRjNWQ6N2U2ZDVjNGIzYTI5MTBmOGU3ZDZjNWI0YTM5MjgxNzA="


@pytest.fixture
def agora_rest(agora):
    """Agora configured with RESTful customer credentials, its API base pointed at the local server."""
    with running_agora_rest_server(app_id=APP_ID) as server:
        agora.AGORA_CUSTOMER_ID = CUSTOMER_ID
        agora.AGORA_CUSTOMER_SECRET = CUSTOMER_SECRET
        agora.AGORA_REST_API_BASE = server.base_url
        agora.READING_TOKEN_PAID_MARGIN_SECONDS = 45
        yield server


def _voice_reading(*, funds: Decimal, accepted_at):
    client, reader = UserFactory(), make_reader()
    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=RATE)
    credit(client, funds)
    session = session_request(client=client, reader=reader, modality="voice", now=accepted_at)
    session_accept(reader=reader, session_id=session.pk, now=accepted_at)
    return ReadingSession.objects.get(pk=session.pk), client, reader


def _pause_for_lack_of_funds(session, client, reader, at) -> None:
    for user in (client, reader):
        session_heartbeat(user=user, session_id=session.pk, now=at)
    session_bill_tick(session_id=session.pk, now=at)
    session.refresh_from_db()
    assert session.state == "paused"


def test_agora_kick_rule_create_sends_the_documented_request(agora_rest):
    # when
    answer = agora_kick_rule_create(channel_name="session.7.abc", uid=42, minutes=3)
    # then
    assert answer == {"status": "success", "id": 1953}
    (request,) = agora_rest.requests
    assert (request.method, request.path, request.status) == ("POST", KICK_PATH, 200)
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.body == {
        "appid": APP_ID,
        "cname": "session.7.abc",
        "uid": 42,
        "time": 3,
        "privileges": ["join_channel"],
    }


@pytest.mark.parametrize("status", [500, 429, 401])
def test_agora_kick_rule_create_agora_error_raises_for_retry(agora_rest, status):
    # given
    agora_rest.fail_next(times=1, status=status)
    # when / then
    with pytest.raises(AgoraRestError, match=str(status)):
        agora_kick_rule_create(channel_name="session.7.abc", uid=42, minutes=0)
    assert agora_rest.kicks() == []


def test_agora_kick_rule_create_wrong_secret_refused_by_server(agora_rest, settings):
    # given
    settings.AGORA_CUSTOMER_SECRET = "not-the-secret"
    # when / then
    with pytest.raises(AgoraRestError, match="401"):
        agora_kick_rule_create(channel_name="session.7.abc", uid=42, minutes=0)


def test_agora_kick_rule_create_unreachable_raises_for_retry(agora_rest, settings):
    # given: nothing listens there
    settings.AGORA_REST_API_BASE = "http://127.0.0.1:9"
    # when / then
    with pytest.raises(AgoraRestError, match="could not be reached"):
        agora_kick_rule_create(channel_name="session.7.abc", uid=42, minutes=0)


def test_agora_kick_paused_reading_removes_without_ban(agora_rest):
    # given: a voice reading paused for lack of funds
    t0 = timezone.now() - timedelta(seconds=50)
    session, client, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    # when
    agora_kick(
        use="session", object_id=str(session.pk), user_id=client.pk, channel_name=session.channel_name, final=False
    )
    # then: removed now; may rejoin as soon as the reading resumes
    (kick,) = agora_rest.kicks()
    assert kick.body == {
        "appid": APP_ID,
        "cname": session.channel_name,
        "uid": client.pk,
        "time": 0,
        "privileges": ["join_channel"],
    }


def test_agora_kick_reading_active_again_sends_nothing(agora_rest):
    # given: paused, then the client topped up and the tick resumed the reading before the kick ran
    t0 = timezone.now() - timedelta(seconds=80)
    session, client, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    credit(client, RATE * 3)
    session_bill_tick(session_id=session.pk)
    session.refresh_from_db()
    assert session.state == "active"
    # when
    answer = agora_kick(
        use="session", object_id=str(session.pk), user_id=reader.pk, channel_name=session.channel_name, final=False
    )
    # then
    assert answer is None
    assert agora_rest.requests == []


def test_agora_kick_ended_reading_bans_until_tokens_granted_expire(agora_rest):
    # given: a token granted 20 s into minute 1 (it lasts to the paid boundary + 45 s), then the reading ends
    t0 = timezone.now() - timedelta(seconds=20)
    session, client, reader = _voice_reading(funds=RATE * 5, accepted_at=t0)
    issued = rtc_token_issue(actor=client, use="session", object_id=str(session.pk))
    assert 60 < (issued.expires_at - timezone.now()).total_seconds() <= 85
    # when
    agora_kick(
        use="session", object_id=str(session.pk), user_id=client.pk, channel_name=session.channel_name, final=True
    )
    agora_kick(
        use="session", object_id=str(session.pk), user_id=reader.pk, channel_name=session.channel_name, final=True
    )
    # then: the client is banned for the 2 minutes their token could still be used; the reader had no token
    assert [(k.body["uid"], k.body["time"]) for k in agora_rest.kicks()] == [(client.pk, 2), (reader.pk, 0)]


def test_rtc_kick_enqueue_kicking_not_configured_enqueues_nothing(agora, settings):
    # given: Agora configured, but no RESTful customer credentials
    settings.AGORA_CUSTOMER_ID = ""
    settings.AGORA_CUSTOMER_SECRET = ""
    # when
    count = rtc_kick_enqueue(
        use="session", object_id=1, channel_name="session.1.x", user_ids=[1, 2], event_key="event-1", final=False
    )
    # then
    assert count == 0


def test_staff_rtc_status_kicking_off_then_on(admin_client, agora, settings):
    # given
    settings.AGORA_CUSTOMER_ID = CUSTOMER_ID
    settings.AGORA_CUSTOMER_SECRET = ""
    # when
    page = admin_client.get(reverse("staff_rtc:status")).content.decode()
    # then
    assert "off (set AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET); only one of them is set" in page
    assert CUSTOMER_ID not in page
    # when
    settings.AGORA_CUSTOMER_SECRET = CUSTOMER_SECRET
    page = admin_client.get(reverse("staff_rtc:status")).content.decode()
    # then
    assert "on (Agora RESTful API)" in page
    assert CUSTOMER_SECRET not in page


# --- Driven by the outbox: enqueued with the state change, delivered and retried after commit ------------------


def _kick_messages():
    from apps.core.models import OutboxMessage

    return OutboxMessage.objects.filter(name="rtc.agora_kick").order_by("pk")


def test_session_pause_agora_configured_enqueues_one_kick_per_party_and_drain_removes_both(agora_rest):
    from apps.core.outbox import outbox_drain
    from apps.readings.access import session_media_stop
    from apps.readings.models import SessionEvent

    # given: a voice reading with one minute of funds
    t0 = timezone.now() - timedelta(seconds=50)
    session, client, reader = _voice_reading(funds=RATE, accepted_at=t0)
    assert not _kick_messages().exists()
    # when: the tick pauses it for lack of funds
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    # then: exactly one message per party for the pause, with nothing sent yet
    pause = SessionEvent.objects.get(session=session, to_state="paused")
    messages = list(_kick_messages())
    assert [m.kwargs for m in messages] == [
        {
            "use": "session",
            "object_id": str(session.pk),
            "user_id": uid,
            "channel_name": session.channel_name,
            "final": False,
        }
        for uid in (client.pk, reader.pk)
    ]
    assert [m.dedupe_key for m in messages] == [
        f"agora-kick:session:{session.pk}:event-{pause.pk}:{uid}" for uid in (client.pk, reader.pk)
    ]
    assert agora_rest.requests == []
    # ... the same event again enqueues nothing more
    from django.db import transaction

    with transaction.atomic():
        session_media_stop(session=session, event=pause)
    assert _kick_messages().count() == 2
    # when: the outbox delivers them
    assert outbox_drain() == 2
    # then: Agora got the documented request for each party, removing them without a ban
    assert [(k.method, k.path, k.headers["authorization"]) for k in agora_rest.kicks()] == [
        ("POST", KICK_PATH, BASIC)
    ] * 2
    assert [k.body for k in agora_rest.kicks()] == [
        {"appid": APP_ID, "cname": session.channel_name, "uid": uid, "time": 0, "privileges": ["join_channel"]}
        for uid in (client.pk, reader.pk)
    ]
    assert {m.status for m in _kick_messages()} == {"done"}
    assert outbox_drain() == 0


def test_session_end_agora_configured_enqueues_final_kicks(agora_rest):
    from apps.core.outbox import outbox_drain
    from apps.readings.services import session_end

    # given
    t0 = timezone.now() - timedelta(seconds=20)
    session, client, reader = _voice_reading(funds=RATE * 5, accepted_at=t0)
    rtc_token_issue(actor=reader, use="session", object_id=str(session.pk))
    # when
    session_end(actor=client, session_id=session.pk)
    # then
    assert [(m.kwargs["user_id"], m.kwargs["final"]) for m in _kick_messages()] == [
        (client.pk, True),
        (reader.pk, True),
    ]
    assert outbox_drain() == 2
    assert [(k.body["uid"], k.body["time"]) for k in agora_rest.kicks()] == [(client.pk, 0), (reader.pk, 2)]


def test_outbox_drain_agora_failing_retries_kick_with_backoff(agora_rest, settings):
    from apps.core.outbox import outbox_drain

    # given: a paused reading, and Agora failing the first two requests
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    t0 = timezone.now() - timedelta(seconds=50)
    session, client, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    agora_rest.fail_next(times=2, status=503)
    now = timezone.now()
    # when: the first delivery of both messages fails (503, then 503)
    assert outbox_drain(now=now) == 2
    # then: both wait for their backoff; nothing is due before it ends
    first = list(_kick_messages())
    assert [(m.status, m.attempts) for m in first] == [("pending", 1), ("pending", 1)]
    assert all("503" in m.last_error for m in first)
    assert all(m.next_attempt_at == now + timedelta(seconds=10) for m in first)
    assert outbox_drain(now=now + timedelta(seconds=9)) == 0
    # when: the backoff has passed
    assert outbox_drain(now=now + timedelta(seconds=11)) == 2
    # then: both kicks went through on the second attempt
    assert [(m.status, m.attempts) for m in _kick_messages()] == [("done", 2), ("done", 2)]
    assert len(agora_rest.kicks()) == 2
    assert len(agora_rest.requests) == 4


def test_session_pause_kicking_not_configured_enqueues_nothing(agora, settings):
    # given: Agora configured without RESTful customer credentials
    settings.AGORA_CUSTOMER_ID = ""
    settings.AGORA_CUSTOMER_SECRET = ""
    t0 = timezone.now() - timedelta(seconds=50)
    session, client, reader = _voice_reading(funds=RATE, accepted_at=t0)
    # when
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    # then
    assert not _kick_messages().exists()


def test_session_pause_text_reading_enqueues_nothing(agora_rest):
    from apps.readings.tests.helpers import start_reading

    # given: a chat reading has no channel to be removed from
    t0 = timezone.now() - timedelta(seconds=50)
    session, client, reader = start_reading(funds=Decimal("2.00"), at=t0)
    # when
    _pause_for_lack_of_funds(session, client, reader, at=t0 + timedelta(seconds=66))
    # then
    assert not _kick_messages().exists()
