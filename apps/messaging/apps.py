from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register
        from apps.rtc.access import register_access_check

        from .moderation import MESSAGE_MODERATION
        from .rtc import CONVERSATION_USE, conversation_rtc_access

        moderatable_register(MESSAGE_MODERATION)
        register_access_check(CONVERSATION_USE, conversation_rtc_access)
        from . import privacy  # noqa: F401  (registers this app's personal data)
