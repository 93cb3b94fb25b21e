"""Token issuance log, client connection reports, Agora NCS events and the presence signals made from them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .enums import ConnectionState, NcsOutcome, PresenceSource, RtcRole


class RtcTokenGrant(models.Model):
    """One issued (or renewed) token: who, for what, which privileges, until when. Never the token itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rtc_token_grants")
    use = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    channel_name = models.CharField(max_length=64)
    uid = models.PositiveBigIntegerField()
    role = models.CharField(max_length=16, choices=RtcRole.choices)
    privileges = models.JSONField(default=list)
    has_rtm = models.BooleanField(default=False)
    is_renewal = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("use", "object_id", "created_at"), name="rtc_grant_subject_idx")]

    def __str__(self) -> str:
        return f"{self.role} token for {self.use}:{self.object_id} (user {self.user_id})"


class RtcConnectionEvent(models.Model):
    """A connection state change reported by a participant's browser or app."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rtc_connection_events")
    use = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    channel_name = models.CharField(max_length=64)
    uid = models.PositiveBigIntegerField()
    state = models.CharField(max_length=16, choices=ConnectionState.choices)
    previous_state = models.CharField(max_length=16, choices=ConnectionState.choices, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("use", "object_id", "created_at"), name="rtc_conn_subject_idx")]

    def __str__(self) -> str:
        return f"{self.state} for user {self.user_id} in {self.use}:{self.object_id}"


class NcsEvent(models.Model):
    """One Agora Notification Center (NCS) delivery, stored once per noticeId."""

    notice_id = models.CharField(max_length=128, unique=True)
    product_id = models.PositiveIntegerField()
    event_type = models.PositiveIntegerField()
    notify_ms = models.BigIntegerField(null=True, blank=True)
    channel_name = models.CharField(max_length=64, blank=True)
    uid = models.PositiveBigIntegerField(null=True, blank=True)
    client_seq = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    outcome = models.CharField(max_length=16, choices=NcsOutcome.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-received_at", "-pk")

    def __str__(self) -> str:
        return f"NCS {self.event_type} {self.notice_id}"


class NcsSequence(models.Model):
    """The last applied clientSeq of one user in one channel; older events arriving later are ignored."""

    channel_name = models.CharField(max_length=64)
    uid = models.PositiveBigIntegerField()
    last_client_seq = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("channel_name", "uid"), name="rtc_ncs_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.channel_name}/{self.uid}: {self.last_client_seq}"


class PresenceSignal(models.Model):
    """A participant joined or left a channel, from a client report or an NCS event.

    The sessions and livestream apps subscribe with ``apps.rtc.presence.presence_subscribe`` and receive
    each new signal after it is committed.
    """

    use = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    channel_name = models.CharField(max_length=64)
    uid = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="presence_signals"
    )
    is_present = models.BooleanField()
    detail = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=8, choices=PresenceSource.choices)
    occurred_at = models.DateTimeField()
    ncs_event = models.OneToOneField(NcsEvent, on_delete=models.CASCADE, null=True, blank=True)
    connection_event = models.OneToOneField(RtcConnectionEvent, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("use", "object_id", "created_at"), name="rtc_presence_subject_idx")]

    def __str__(self) -> str:
        return f"{'present' if self.is_present else 'absent'}: uid {self.uid} in {self.use}:{self.object_id}"
