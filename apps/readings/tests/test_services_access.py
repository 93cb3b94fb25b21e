"""Only the two parties see a reading: selectors answer 404 to anyone else; Agora tokens only for the
parties of a live, funded voice or video reading."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.readings.exceptions import SessionNotFound
from apps.readings.selectors import (
    session_charges_list,
    session_events_list,
    session_get_for_participant,
    session_list_for_participant,
    session_room_state,
)
from apps.readings.services import session_end, session_heartbeat
from apps.readings.tests.helpers import both_present, start_reading
from apps.rtc.access import AccessRefused, access_decide
from apps.rtc.enums import RtcRole
from apps.rtc.services import rtc_token_issue
from apps.rtc.tests.conftest import APP_CERTIFICATE, APP_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_TOKEN_TTL_SECONDS = 1200
    settings.AGORA_RTM_ENABLED = False
    return settings


@pytest.mark.parametrize(
    "selector",
    [session_get_for_participant, session_room_state, session_events_list, session_charges_list],
)
def test_session_selectors_for_someone_else_404(selector, other_client_user, admin_user):
    # given
    session, client, reader = start_reading(funds=Decimal("10.00"), at=timezone.now())
    # when / then: the parties see it
    for party in (client, reader):
        assert selector(viewer=party, session_id=session.pk) is not None
    # ... nobody else does, not even an admin through these selectors
    for outsider in (other_client_user, admin_user):
        with pytest.raises(SessionNotFound):
            selector(viewer=outsider, session_id=session.pk)


def test_session_list_for_participant_only_their_own(other_client_user):
    # given
    session, client, reader = start_reading(funds=Decimal("10.00"), at=timezone.now())
    # when / then
    assert list(session_list_for_participant(viewer=client)) == [session]
    assert list(session_list_for_participant(viewer=reader)) == [session]
    assert list(session_list_for_participant(viewer=other_client_user)) == []


def test_session_end_by_someone_else_not_found_and_nothing_changes(other_client_user):
    # given
    session, _client, _reader = start_reading(funds=Decimal("10.00"), at=timezone.now())
    # when / then
    with pytest.raises(SessionNotFound):
        session_end(actor=other_client_user, session_id=session.pk, reason="")
    session.refresh_from_db()
    assert session.state == "active"


def test_session_rtc_access_parties_of_a_live_voice_reading_publish(agora, other_client_user):
    # given
    from apps.readings.models import ReadingSession
    from apps.readings.services import session_accept, session_request
    from apps.readings.tests.helpers import credit, make_reader

    reader = make_reader()
    from apps.readers.models import ReaderProfile

    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=Decimal("3.00"))
    credit(other_client_user, Decimal("10.00"))
    session = session_request(client=other_client_user, reader=reader, modality="voice")
    session_accept(reader=reader, session_id=session.pk)
    session = ReadingSession.objects.get(pk=session.pk)
    # when
    decisions = [
        access_decide(use="session", user=user, object_id=str(session.pk)) for user in (other_client_user, reader)
    ]
    issued = rtc_token_issue(actor=reader, use="session", object_id=str(session.pk))
    # then
    assert [d.role for d in decisions] == [RtcRole.PUBLISHER, RtcRole.PUBLISHER]
    assert {d.channel_name for d in decisions} == {session.channel_name}
    assert issued.channel_name == session.channel_name


def test_session_rtc_access_outsider_gets_not_found_and_ended_reading_no_token(agora, client_user, admin_user):
    # given
    from apps.readers.models import ReaderProfile
    from apps.readings.services import session_accept, session_request
    from apps.readings.tests.helpers import credit, make_reader

    reader = make_reader()
    ReaderProfile.objects.filter(user=reader).update(video_rate_amount=Decimal("3.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="video")
    session_accept(reader=reader, session_id=session.pk)
    # when / then: an outsider is told the room does not exist
    with pytest.raises(AccessRefused) as refused:
        access_decide(use="session", user=admin_user, object_id=str(session.pk))
    assert refused.value.not_found
    # ... and once ended, even the parties get no token
    session_end(actor=client_user, session_id=session.pk, reason="")
    with pytest.raises(AccessRefused) as refused:
        access_decide(use="session", user=client_user, object_id=str(session.pk))
    assert not refused.value.not_found


def test_session_rtc_access_paused_reading_gets_no_new_token(agora):
    # given: a voice reading paused for lack of funds
    from apps.accounts.tests.factories import UserFactory
    from apps.readers.models import ReaderProfile
    from apps.readings.services import session_accept, session_request
    from apps.readings.tests.helpers import credit, make_reader

    t0 = timezone.now() - timedelta(seconds=90)
    client, reader = UserFactory(), make_reader()
    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=Decimal("3.00"))
    credit(client, Decimal("3.00"))
    session = session_request(client=client, reader=reader, modality="voice", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    both_present(session, client, reader, start=t0, until=70)
    session.refresh_from_db()
    assert session.state == "paused"
    # when / then
    with pytest.raises(AccessRefused, match="paused"):
        access_decide(use="session", user=client, object_id=str(session.pk))
    # ... but the room may still report presence for it
    assert access_decide(use="session", user=client, object_id=str(session.pk), for_presence=True)


def test_session_rtc_access_chat_reading_has_no_media_room():
    # given
    session, client, _ = start_reading(funds=Decimal("10.00"), at=timezone.now())
    session_heartbeat(user=client, session_id=session.pk)
    # when / then
    with pytest.raises(AccessRefused, match="chat"):
        access_decide(use="session", user=client, object_id=str(session.pk))
