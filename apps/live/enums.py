"""Choices of livestreams: who may watch, where a stream is in its life, what happened in it."""

from django.db import models

from apps.notifications.registry import notification_kind_register


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone signed in"
    PRIVATE = "private", "Private: people you invite"
    PREMIUM = "premium", "Premium: a paid ticket"


class StreamState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class EndReason(models.TextChoices):
    HOST = "host", "Ended by the host"
    HOST_SILENT = "host_silent", "The host's connection was lost for two minutes"
    CANCELLED = "cancelled", "Cancelled before it started"


class EventKind(models.TextChoices):
    STARTED = "started", "Went live"
    JOIN = "join", "Joined"
    TICKET = "ticket", "Bought a ticket"
    GIFT = "gift", "Sent a gift"
    ENDED = "ended", "Ended"


class Animation(models.TextChoices):
    # Each key names a CSS/SVG animation in static/css/live.css (class "gift-art-<key>").
    STAR = "star", "Shooting star"
    MOON = "moon", "Rising moon"
    ROSE = "rose", "Blooming rose"
    CRYSTAL = "crystal", "Glowing crystal"
    COMET = "comet", "Comet shower"


# Followers hear about a stream going live under their "readings" email preference.
STREAM_LIVE_KIND = notification_kind_register("readings.stream_live", label="A favorite reader went live")
STREAM_INVITE_KIND = notification_kind_register(
    "readings.stream_invite", label="A reader invited you to a private livestream"
)
