from django.db import models


class Modality(models.TextChoices):
    TEXT = "text", "Text"
    VOICE = "voice", "Voice"
    VIDEO = "video", "Video"


class RtcRole(models.TextChoices):
    PUBLISHER = "publisher", "Publisher"
    SUBSCRIBER = "subscriber", "Subscriber"


class ChannelProfile(models.TextChoices):
    # Agora Web SDK client modes: "rtc" for a two-party reading, "live" for a livestream (host + audience).
    COMMUNICATION = "rtc", "Communication"
    LIVE = "live", "Live broadcast"


class ConnectionState(models.TextChoices):
    # The Web SDK's ConnectionState values, as reported by its connection-state-change event.
    DISCONNECTED = "DISCONNECTED", "Disconnected"
    CONNECTING = "CONNECTING", "Connecting"
    CONNECTED = "CONNECTED", "Connected"
    RECONNECTING = "RECONNECTING", "Reconnecting"
    DISCONNECTING = "DISCONNECTING", "Disconnecting"


class PresenceSource(models.TextChoices):
    CLIENT = "client", "Client report"
    NCS = "ncs", "Agora notification"


class NcsOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"  # in order for its user and channel; presence updated if it is a join/leave
    STALE = "stale", "Stale"  # older than the last applied clientSeq of its user and channel: ignored
    RECORDED = "recorded", "Recorded"  # stored only (channel events, other products, channels not ours)
