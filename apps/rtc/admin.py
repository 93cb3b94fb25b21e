"""Read-only views of the rtc records for operators (they are written only by the services)."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import NcsEvent, PresenceSignal, RtcConnectionEvent, RtcTokenGrant


@admin.register(RtcTokenGrant)
class RtcTokenGrantAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "use", "object_id", "role", "is_renewal", "expires_at")
    list_filter = ("use", "role", "is_renewal")
    search_fields = ("user__email", "object_id", "channel_name")
    list_select_related = ("user",)


@admin.register(RtcConnectionEvent)
class RtcConnectionEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "use", "object_id", "state", "previous_state", "reason")
    list_filter = ("use", "state")
    search_fields = ("user__email", "object_id")
    list_select_related = ("user",)


@admin.register(NcsEvent)
class NcsEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_type", "channel_name", "uid", "client_seq", "outcome")
    list_filter = ("event_type", "outcome")
    search_fields = ("notice_id", "channel_name")


@admin.register(PresenceSignal)
class PresenceSignalAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "use", "object_id", "user", "is_present", "detail", "source")
    list_filter = ("use", "source", "is_present")
    search_fields = ("object_id", "user__email")
    list_select_related = ("user",)
