"""Paid time is the only time anyone gets: a reading's Agora token ends where the paid minutes end (plus the
margin), renewal needs an active reading whose minute in progress is paid, and the chat is open only while
the reading is active. Tokens are decoded with the project's AccessToken2 parser."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readers.models import ReaderProfile
from apps.readings.enums import SessionState
from apps.readings.exceptions import InvalidTransition
from apps.readings.models import ReadingSession, SessionMessage
from apps.readings.services import (
    session_accept,
    session_bill_tick,
    session_disconnect,
    session_heartbeat,
    session_request,
)
from apps.readings.services.chat import session_message_post
from apps.readings.tests.helpers import credit, make_reader
from apps.rtc import tokens
from apps.rtc.access import AccessRefused, access_decide
from apps.rtc.services import rtc_token_issue, rtc_token_renew
from apps.rtc.tests.conftest import APP_CERTIFICATE, APP_ID
from apps.rtc.tokens import ServiceType

pytestmark = pytest.mark.django_db

MARGIN = 45
RATE = Decimal("3.00")


@pytest.fixture
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_TOKEN_TTL_SECONDS = 1200
    settings.AGORA_RTM_ENABLED = False
    settings.READING_TOKEN_PAID_MARGIN_SECONDS = MARGIN
    return settings


def _voice_reading(*, funds: Decimal, accepted_at: datetime):
    client, reader = UserFactory(), make_reader()
    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=RATE)
    credit(client, funds)
    session = session_request(client=client, reader=reader, modality="voice", now=accepted_at)
    session_accept(reader=reader, session_id=session.pk, now=accepted_at)
    return ReadingSession.objects.get(pk=session.pk), client, reader


def _privileges_end_ts(token: str) -> set[int]:
    """Every RTC privilege's end (unix seconds) of a token, decoded and verified with the app certificate."""
    parsed = tokens.verify_token(token, APP_CERTIFICATE)
    rtc = parsed.service(ServiceType.RTC)
    assert rtc is not None
    assert parsed.issue_ts + parsed.expire == max(parsed.issue_ts + e for e in rtc.privileges.values())
    return {parsed.issue_ts + expire for expire in rtc.privileges.values()}


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _both_beat_and_tick(session, client, reader, at: datetime) -> None:
    for user in (client, reader):
        session_heartbeat(user=user, session_id=session.pk, now=at)
    session_bill_tick(session_id=session.pk, now=at)


def test_rtc_token_issue_reading_token_ends_at_paid_boundary_plus_margin(agora):
    # given: a voice reading accepted 20 s ago: minute 1 is paid until 40 s from now
    t0 = timezone.now() - timedelta(seconds=20)
    session, client, _reader = _voice_reading(funds=RATE * 5, accepted_at=t0)
    paid_until = t0 + timedelta(seconds=60)
    assert session.billed_until_at == paid_until
    # when
    issued = rtc_token_issue(actor=client, use="session", object_id=str(session.pk))
    # then: every privilege (and the token) ends at the paid boundary plus the margin, not 20 minutes later
    assert _privileges_end_ts(issued.token) == {_ts(paid_until + timedelta(seconds=MARGIN))}
    assert issued.expires_at == issued.issued_at + timedelta(seconds=issued.as_json()["ttl_seconds"])
    assert _ts(issued.expires_at) == _ts(paid_until + timedelta(seconds=MARGIN))


def test_session_paused_for_lack_of_funds_token_in_hand_ends_at_boundary_renewal_and_chat_refused(agora, client):
    # given: one minute of funds; a token taken while minute 1 runs
    t0 = timezone.now() - timedelta(seconds=50)
    session, client_user, reader = _voice_reading(funds=RATE, accepted_at=t0)
    in_hand = rtc_token_issue(actor=client_user, use="session", object_id=str(session.pk))
    # when: both are still there after minute 1; the tick cannot charge minute 2 and pauses the reading
    _both_beat_and_tick(session, client_user, reader, at=t0 + timedelta(seconds=66))
    session.refresh_from_db()
    # then: paused exactly at the paid boundary ...
    assert session.state == SessionState.PAUSED
    assert (session.minutes_billed, session.active_seconds) == (1, Decimal("60"))
    boundary = session.accepted_at + timedelta(seconds=session.minutes_billed * 60)
    # ... the token in hand stops working there (plus the margin)
    assert _privileges_end_ts(in_hand.token) == {_ts(boundary + timedelta(seconds=MARGIN))}
    # ... no renewal or new token for either party
    for party in (client_user, reader):
        with pytest.raises(AccessRefused) as refused:
            rtc_token_renew(actor=party, use="session", object_id=str(session.pk), channel_name=session.channel_name)
        assert refused.value.code == "paused" and not refused.value.not_found
    # ... the chat refuses lines, through the service and the HTMX view, and nothing is written
    with pytest.raises(InvalidTransition, match="paused") as closed:
        session_message_post(sender=client_user, session_id=session.pk, body="Are you still there?")
    assert closed.value.code == "chat_closed"
    client.force_login(reader)
    response = client.post(
        reverse("readings:chat", args=[session.pk]), {"body": "One more card?"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#chat-error"  # beside the chat form, not the page's error region
    assert "The chat is paused with the reading" in response.content.decode()
    assert not SessionMessage.objects.filter(session=session).exists()


def test_rtc_token_renew_paused_reading_through_api_answers_403_with_code(agora, client):
    # given: a reading paused for lack of funds
    t0 = timezone.now() - timedelta(seconds=80)
    session, client_user, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _both_beat_and_tick(session, client_user, reader, at=t0 + timedelta(seconds=66))
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("rtc_api:token-renew"),
        {"use": "session", "object_id": str(session.pk), "channel": session.channel_name},
        content_type="application/json",
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "paused"
    assert "paused" in response.json()["detail"]


def test_rtc_token_renew_minute_not_charged_yet_refused_then_paid_minute_gives_longer_token(agora):
    # given: minute 1 ended 10 s ago and minute 2 is not charged yet (no heartbeat since)
    t0 = timezone.now() - timedelta(seconds=70)
    session, client_user, reader = _voice_reading(funds=RATE * 5, accepted_at=t0)
    # when / then: refused until the minute in progress is paid
    with pytest.raises(AccessRefused) as refused:
        rtc_token_renew(actor=client_user, use="session", object_id=str(session.pk))
    assert refused.value.code == "payment_pending"
    # when: both beat, the tick charges minute 2
    _both_beat_and_tick(session, client_user, reader, at=timezone.now())
    session.refresh_from_db()
    assert session.minutes_billed == 2
    renewed = rtc_token_renew(actor=client_user, use="session", object_id=str(session.pk))
    # then: the new token runs to the end of minute 2 plus the margin
    assert _privileges_end_ts(renewed.token) == {_ts(t0 + timedelta(seconds=120 + MARGIN))}


def test_session_rtc_access_reconnecting_reading_refused_presence_still_accepted(agora):
    # given: the reader's room reported leaving, so the reading waits for them
    t0 = timezone.now() - timedelta(seconds=20)
    session, client_user, reader = _voice_reading(funds=RATE * 5, accepted_at=t0)
    session_disconnect(user=reader, session_id=session.pk)
    session.refresh_from_db()
    assert session.state == SessionState.RECONNECTING
    # when / then: no media for anyone meanwhile (nothing is billed) ...
    for party in (client_user, reader):
        with pytest.raises(AccessRefused) as refused:
            access_decide(use="session", user=party, object_id=str(session.pk))
        assert refused.value.code == "reconnecting"
    # ... and no chat
    with pytest.raises(InvalidTransition, match="both of you"):
        session_message_post(sender=client_user, session_id=session.pk, body="Hello?")
    # ... but the room may still report presence
    assert access_decide(use="session", user=reader, object_id=str(session.pk), for_presence=True)


def test_session_message_post_active_again_after_top_up_accepted(agora):
    # given: a paused reading whose client then tops up; the tick resumes it
    t0 = timezone.now() - timedelta(seconds=80)
    session, client_user, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _both_beat_and_tick(session, client_user, reader, at=t0 + timedelta(seconds=66))
    credit(client_user, RATE * 3)
    session_bill_tick(session_id=session.pk)
    session.refresh_from_db()
    assert session.state == SessionState.ACTIVE
    # when
    message = session_message_post(sender=client_user, session_id=session.pk, body="Thank you for waiting.")
    # then
    assert message.pk and SessionMessage.objects.filter(session=session).count() == 1


def test_room_view_paused_reading_chat_form_closed_with_reason(agora, client):
    # given: a reading paused for lack of funds
    t0 = timezone.now() - timedelta(seconds=80)
    session, client_user, reader = _voice_reading(funds=RATE, accepted_at=t0)
    _both_beat_and_tick(session, client_user, reader, at=t0 + timedelta(seconds=66))
    client.force_login(client_user)
    # when
    page = client.get(reverse("readings:room", args=[session.pk])).content.decode()
    # then: the form is there (the page does not reload on resume) but disabled, saying why
    assert "data-chat-fields disabled" in page
    assert "The chat is paused with the reading: it reopens when the wallet can pay the next minute." in page
    assert 'data-media-paused="Voice and video are paused: your wallet cannot pay the next minute.' in page
