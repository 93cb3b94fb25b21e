"""A stream's life: create, go live, one live stream per host, end, the silent-host timeout, invites, viewers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import PermissionDeniedError
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.live.enums import EndReason, EventKind, StreamState, Visibility
from apps.live.exceptions import AlreadyLive, InvalidStream, StreamNotFound, StreamStateConflict
from apps.live.models import Stream, StreamEvent, StreamFollowerAlert, StreamInvite, StreamViewer
from apps.live.services.streams import (
    stream_create,
    stream_end,
    stream_go_live,
    stream_host_heartbeat,
    stream_invite,
    stream_invite_revoke,
    stream_start,
    streams_timeout,
    viewer_heartbeat,
    viewer_remove,
)
from apps.notifications.models import Notification
from tests.support.racing import race

from .factories import follower_of, live_stream, make_host, scheduled_stream

pytestmark = pytest.mark.django_db


def test_stream_create_premium_without_price_refused_nothing_written():
    # given
    host = make_host()
    # when
    with pytest.raises(InvalidStream, match="ticket price"):
        stream_create(actor=host, title="Tarot", visibility=Visibility.PREMIUM)
    # then
    assert not Stream.objects.exists()


@pytest.mark.parametrize("price", ["0.50", "100.01", "abc", "1.234"])
def test_stream_create_ticket_price_out_of_bounds_refused(price):
    # given
    host = make_host()
    # when / then
    with pytest.raises(InvalidStream):
        stream_create(actor=host, title="Tarot", visibility=Visibility.PREMIUM, ticket_price_amount=price)
    assert not Stream.objects.exists()


def test_stream_create_client_refused():
    # given
    client = UserFactory()
    # when / then
    with pytest.raises(PermissionDeniedError):
        stream_create(actor=client, title="Not a reader")


def test_stream_create_scheduled_in_the_past_refused():
    # given
    host = make_host()
    # when / then
    with pytest.raises(InvalidStream, match="future"):
        stream_create(actor=host, title="Late", scheduled_start_at=timezone.now() - timedelta(minutes=1))


def test_stream_create_scheduled_has_unguessable_channel_and_no_times():
    # given
    host = make_host()
    start = timezone.now() + timedelta(days=1)
    # when
    stream = stream_create(actor=host, title="Full moon", scheduled_start_at=start)
    # then
    assert stream.state == StreamState.SCHEDULED
    assert stream.started_at is None
    assert stream.channel_name.startswith(f"stream.{stream.pk}.")
    assert len(stream.channel_name.split(".")[2]) >= 16


def test_stream_go_live_records_event_audit_and_alert_message():
    # given
    host = make_host()
    # when
    stream = stream_go_live(actor=host, title="Live tarot")
    # then
    assert stream.state == StreamState.LIVE
    assert stream.started_at is not None and stream.host_seen_at is not None
    assert list(StreamEvent.objects.filter(stream=stream).values_list("kind", flat=True)) == [EventKind.STARTED]
    assert AuditLog.objects.filter(action="live.stream_started", target_id=str(stream.pk)).exists()


def test_stream_go_live_twice_refused_one_live_stream_per_host():
    # given
    host = make_host()
    stream_go_live(actor=host, title="First")
    # when / then
    with pytest.raises(AlreadyLive):
        stream_go_live(actor=host, title="Second")
    assert Stream.objects.filter(host=host, state=StreamState.LIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_stream_start_two_scheduled_at_once_only_one_goes_live():
    # given
    host = make_host()
    first, second = scheduled_stream(host), scheduled_stream(host)
    # when
    outcomes = race(
        lambda: stream_start(actor=host, stream_id=first.pk), lambda: stream_start(actor=host, stream_id=second.pk)
    )
    # then
    assert sum(isinstance(outcome, Stream) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, AlreadyLive) for outcome in outcomes) == 1
    assert Stream.objects.filter(host=host, state=StreamState.LIVE).count() == 1


def test_stream_start_someone_elses_stream_not_found():
    # given
    stream = scheduled_stream()
    # when / then
    with pytest.raises(StreamNotFound):
        stream_start(actor=make_host(), stream_id=stream.pk)
    stream.refresh_from_db()
    assert stream.state == StreamState.SCHEDULED


def test_stream_end_live_records_end_and_twice_changes_nothing():
    # given
    stream = live_stream()
    # when
    stream_end(actor=stream.host, stream_id=stream.pk)
    ended = stream_end(actor=stream.host, stream_id=stream.pk)
    # then
    assert ended.state == StreamState.ENDED
    assert ended.end_reason == EndReason.HOST
    assert StreamEvent.objects.filter(stream=stream, kind=EventKind.ENDED).count() == 1


def test_stream_start_after_end_refused():
    # given
    stream = live_stream()
    stream_end(actor=stream.host, stream_id=stream.pk)
    # when / then
    with pytest.raises(StreamStateConflict):
        stream_start(actor=stream.host, stream_id=stream.pk)


def test_stream_end_scheduled_is_a_cancellation():
    # given
    stream = scheduled_stream()
    # when
    ended = stream_end(actor=stream.host, stream_id=stream.pk)
    # then
    assert ended.end_reason == EndReason.CANCELLED
    assert not StreamEvent.objects.filter(stream=stream).exists()


def test_streams_timeout_silent_host_ends_after_two_minutes_only():
    # given: one host silent for 2 min 1 s, another for 1 min 50 s
    silent, recent = live_stream(), live_stream()
    now = timezone.now()
    Stream.objects.filter(pk=silent.pk).update(host_seen_at=now - timedelta(seconds=121))
    Stream.objects.filter(pk=recent.pk).update(host_seen_at=now - timedelta(seconds=110))
    # when
    ended = streams_timeout()
    # then
    assert ended == 1
    silent.refresh_from_db()
    recent.refresh_from_db()
    assert (silent.state, silent.end_reason) == (StreamState.ENDED, EndReason.HOST_SILENT)
    assert recent.state == StreamState.LIVE


def test_stream_host_heartbeat_keeps_the_stream_alive():
    # given
    stream = live_stream()
    Stream.objects.filter(pk=stream.pk).update(host_seen_at=timezone.now() - timedelta(seconds=119))
    # when
    assert stream_host_heartbeat(actor=stream.host, stream_id=stream.pk) is True
    streams_timeout()
    # then
    stream.refresh_from_db()
    assert stream.state == StreamState.LIVE


def test_stream_host_heartbeat_someone_else_changes_nothing():
    # given
    stream = live_stream()
    # when / then
    assert stream_host_heartbeat(actor=make_host(), stream_id=stream.pk) is False


# --- followers are told once -------------------------------------------------------------------------------


def test_stream_go_live_followers_told_in_app_and_by_email_once():
    # given
    host = make_host()
    first, second = follower_of(host), follower_of(host)
    stranger = UserFactory()
    # when
    stream = stream_go_live(actor=host, title="Crystal night")
    outbox_drain()
    outbox_drain()
    # then
    told = set(Notification.objects.filter(kind="readings.stream_live").values_list("user_id", flat=True))
    assert told == {first.pk, second.pk}
    assert stranger.pk not in told
    assert StreamFollowerAlert.objects.filter(stream=stream).count() == 2
    outbox_drain()
    assert sorted(message.to[0] for message in mail.outbox) == sorted([first.email, second.email])


def test_stream_followers_alert_runs_twice_tells_once():
    # given
    from apps.live.outbox_handlers import stream_followers_alert

    host = make_host()
    follower_of(host)
    stream = stream_go_live(actor=host, title="Once")
    # when
    first = stream_followers_alert(stream_id=stream.pk)
    again = stream_followers_alert(stream_id=stream.pk)
    # then
    assert (first, again) == (1, 0)
    assert Notification.objects.filter(kind="readings.stream_live").count() == 1


def test_stream_go_live_private_tells_only_invited_followers():
    # given
    host = make_host()
    invited, other = follower_of(host), follower_of(host)
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    stream_invite(actor=host, stream_id=stream.pk, user_id=invited.pk)
    # when
    stream_start(actor=host, stream_id=stream.pk)
    outbox_drain()
    # then
    told = set(Notification.objects.filter(kind="readings.stream_live").values_list("user_id", flat=True))
    assert told == {invited.pk}
    assert other.pk not in told


# --- invitations and viewers ----------------------------------------------------------------------------------


def test_stream_invite_non_follower_refused():
    # given
    host = make_host()
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    # when / then
    with pytest.raises(InvalidStream, match="favorite"):
        stream_invite(actor=host, stream_id=stream.pk, user_id=UserFactory().pk)
    assert not StreamInvite.objects.exists()


def test_stream_invite_reaches_clients_of_an_accepted_reading_only():
    # given: one person had a reading the host accepted, another only asked for one that was never accepted
    from apps.readings.enums import Modality, SessionState
    from apps.readings.models import ReadingSession

    host = make_host()
    client, asked_only = UserFactory(), UserFactory()
    now = timezone.now()
    ReadingSession.objects.create(
        client=client,
        reader=host,
        modality=Modality.TEXT,
        rate_amount=Decimal("2.00"),
        state=SessionState.ENDED,
        accepted_at=now,
        ended_at=now,
    )
    ReadingSession.objects.create(
        client=asked_only, reader=host, modality=Modality.TEXT, rate_amount=Decimal("2.00"), state=SessionState.ENDED
    )
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    # when
    invite = stream_invite(actor=host, stream_id=stream.pk, user_id=client.pk)
    # then: the client is invited; the one whose reading never started is not invitable
    assert invite.user_id == client.pk
    with pytest.raises(InvalidStream, match="had a reading with you"):
        stream_invite(actor=host, stream_id=stream.pk, user_id=asked_only.pk)
    assert list(StreamInvite.objects.values_list("user_id", flat=True)) == [client.pk]


def test_stream_invite_public_stream_refused():
    # given
    host = make_host()
    stream = scheduled_stream(host)
    # when / then
    with pytest.raises(StreamStateConflict):
        stream_invite(actor=host, stream_id=stream.pk, user_id=follower_of(host).pk)


def test_stream_invite_revoke_then_invite_again_restores():
    # given
    host = make_host()
    guest = follower_of(host)
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    invite = stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    # when
    stream_invite_revoke(actor=host, stream_id=stream.pk, invite_id=invite.pk)
    revoked = StreamInvite.objects.get(pk=invite.pk).revoked_at
    again = stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    # then
    assert revoked is not None
    assert again.pk == invite.pk and again.revoked_at is None


def test_viewer_heartbeat_first_joins_then_counts_peak():
    # given
    stream = live_stream()
    viewers = [UserFactory() for _ in range(3)]
    # when
    for viewer in viewers:
        viewer_heartbeat(actor=viewer, stream=stream)
    viewer_heartbeat(actor=viewers[0], stream=stream)
    # then
    stream.refresh_from_db()
    assert stream.peak_viewers == 3
    assert StreamEvent.objects.filter(stream=stream, kind=EventKind.JOIN).count() == 3


def test_viewer_remove_marks_removed_and_audits():
    # given
    stream = live_stream()
    viewer = UserFactory()
    viewer_heartbeat(actor=viewer, stream=stream)
    # when
    viewer_remove(actor=stream.host, stream_id=stream.pk, user_id=viewer.pk)
    # then
    assert StreamViewer.objects.get(stream=stream, user=viewer).removed_at is not None
    assert AuditLog.objects.filter(action="live.viewer_removed").count() == 1


def test_viewer_remove_by_someone_else_not_found():
    # given
    stream = live_stream()
    viewer = UserFactory()
    viewer_heartbeat(actor=viewer, stream=stream)
    # when / then
    with pytest.raises(StreamNotFound):
        viewer_remove(actor=viewer, stream_id=stream.pk, user_id=viewer.pk)
    assert StreamViewer.objects.get(stream=stream, user=viewer).removed_at is None


def test_stream_money_fields_two_places():
    # given / when
    stream = stream_create(actor=make_host(), title="P", visibility=Visibility.PREMIUM, ticket_price_amount="5")
    # then
    assert stream.ticket_price_amount == Decimal("5.00")


def test_stream_invite_notifies_the_invited_once_per_invitation():
    # given
    host = make_host()
    guest = follower_of(host)
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    # when
    invite = stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    # then
    notes = Notification.objects.filter(user=guest, kind="readings.stream_invite")
    assert notes.count() == 1
    assert notes.get().url == f"/live/{stream.pk}/"
    stream_invite_revoke(actor=host, stream_id=stream.pk, invite_id=invite.pk)
    stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    assert notes.count() == 2
