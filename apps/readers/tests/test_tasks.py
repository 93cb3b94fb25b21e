from datetime import timedelta

import pytest
from django.utils import timezone

from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from apps.readers.tasks import reader_presence_expire_task
from config.celery import app

from .factories import ReaderProfileFactory

pytestmark = pytest.mark.django_db


def test_reader_presence_expire_task_scheduled_every_30_seconds():
    # given
    entry = app.conf.beat_schedule["readers-presence-expire"]
    # then
    assert entry["task"] == reader_presence_expire_task.name
    assert entry["schedule"] == 30.0


def test_reader_presence_expire_task_sets_silent_readers_offline():
    # given
    silent = ReaderProfileFactory(
        presence=Presence.ONLINE, last_seen_at=timezone.now() - timedelta(minutes=2, seconds=1)
    )
    beating = ReaderProfileFactory(presence=Presence.BUSY, last_seen_at=timezone.now() - timedelta(seconds=90))
    # when
    reader_presence_expire_task()
    # then
    assert ReaderProfile.objects.get(pk=silent.pk).presence == Presence.OFFLINE
    assert ReaderProfile.objects.get(pk=beating.pk).presence == Presence.BUSY
