from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register

        from .moderation import MESSAGE_MODERATION

        moderatable_register(MESSAGE_MODERATION)
