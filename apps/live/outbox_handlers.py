"""Side effects of livestreams that must not be lost, run by the outbox after commit (imported by LiveConfig)."""

from django.db import transaction
from django.urls import reverse

from apps.core.outbox import outbox_handler
from apps.notifications.services import notify

from .enums import STREAM_LIVE_KIND, StreamState
from .models import Stream, StreamFollowerAlert
from .services.streams import FOLLOWERS_ALERT, followers_to_alert


@outbox_handler(FOLLOWERS_ALERT)
def stream_followers_alert(*, stream_id: int) -> int:
    """Tell the host's followers who may watch that the stream is live: in the app and by email, once per stream
    and follower (the unique alert row decides, however often this runs). Returns how many were told."""
    stream = Stream.objects.select_related("host", "host__reader_profile").filter(pk=stream_id).first()
    if stream is None or stream.state != StreamState.LIVE:
        return 0
    profile = getattr(stream.host, "reader_profile", None)
    name = getattr(profile, "display_name", "") or stream.host.public_name
    url = reverse("live:stream", args=[stream.pk])
    kind_of_stream = {"public": "public", "private": "private", "premium": "premium"}[stream.visibility]
    told = 0
    for follower in followers_to_alert(stream=stream).iterator(chunk_size=500):
        with transaction.atomic():
            _, created = StreamFollowerAlert.objects.get_or_create(stream=stream, user=follower)
            if created:
                notify(
                    user=follower,
                    kind=STREAM_LIVE_KIND,
                    title=f"{name} is live: {stream.title}"[:160],
                    body=f"{name} started a {kind_of_stream} livestream on SoulSeer.",
                    url=url,
                    email=True,
                )
                told += 1
    return told
