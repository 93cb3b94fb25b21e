"""Presence from Agora (connection reports and NCS) keeps a stream's viewer count and the host's presence."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.live.enums import Visibility
from apps.live.models import Stream, StreamViewer
from apps.live.selectors import viewer_count
from apps.live.services.presence import stream_presence_apply
from apps.live.services.streams import viewer_heartbeat, viewer_remove
from apps.rtc.enums import PresenceSource
from apps.rtc.models import PresenceSignal

from .factories import live_stream

pytestmark = pytest.mark.django_db


def _signal(stream, user, *, present: bool, at=None) -> PresenceSignal:
    return PresenceSignal.objects.create(
        use="stream",
        object_id=str(stream.pk),
        channel_name=stream.channel_name,
        uid=user.pk,
        user=user,
        is_present=present,
        source=PresenceSource.NCS,
        occurred_at=at or timezone.now(),
    )


def test_presence_join_then_leave_counts_and_uncounts_the_viewer():
    # given
    stream = live_stream()
    viewer = UserFactory()
    # when
    joined = stream_presence_apply(_signal(stream, viewer, present=True))
    count_after_join = viewer_count(stream=stream)
    left = stream_presence_apply(_signal(stream, viewer, present=False))
    # then
    assert (joined, left) == ("joined", "left")
    assert count_after_join == 1
    assert viewer_count(stream=stream) == 0


def test_presence_of_someone_without_access_or_removed_is_ignored():
    # given
    private = live_stream(visibility=Visibility.PRIVATE)
    public = live_stream()
    removed = UserFactory()
    viewer_heartbeat(actor=removed, stream=public)
    viewer_remove(actor=public.host, stream_id=public.pk, user_id=removed.pk)
    # when / then
    assert stream_presence_apply(_signal(private, UserFactory(), present=True)) == "ignored"
    assert stream_presence_apply(_signal(public, removed, present=True)) == "ignored"
    assert not StreamViewer.objects.filter(stream=private).exists()
    assert viewer_count(stream=public) == 0


def test_presence_host_join_keeps_the_stream_alive():
    # given
    stream = live_stream()
    Stream.objects.filter(pk=stream.pk).update(host_seen_at=timezone.now() - timedelta(seconds=100))
    # when
    outcome = stream_presence_apply(_signal(stream, stream.host, present=True))
    # then
    stream.refresh_from_db()
    assert outcome == "host_present"
    assert stream.host_seen_at > timezone.now() - timedelta(seconds=5)


def test_presence_report_from_the_room_reaches_the_stream(settings, django_capture_on_commit_callbacks):
    # given
    settings.AGORA_APP_ID = "970CA35de60c44645bbae8a215061b33"
    settings.AGORA_APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
    stream = live_stream()
    viewer = UserFactory()
    browser = Client()
    browser.force_login(viewer)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/api/v1/rtc/presence/",
            {"use": "stream", "object_id": str(stream.pk), "state": "CONNECTED", "previous_state": "CONNECTING"},
            content_type="application/json",
        )
    # then
    assert response.status_code == 201
    assert StreamViewer.objects.filter(stream=stream, user=viewer).exists()
    assert viewer_count(stream=stream) == 1
