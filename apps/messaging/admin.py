from django.contrib import admin

from .models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Conversations by their parties only; message text is read through the moderation queue when reported."""

    list_display = ("id", "client", "reader", "last_message_at", "blocked_at")
    raw_id_fields = ("client", "reader")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
