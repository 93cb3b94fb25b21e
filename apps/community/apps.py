from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Forums (SPEC §9): URLs ``community:`` at /community/ and ``staff_community:`` at /staff/community/."""

    name = "apps.community"
    label = "community"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register

        from . import outbox_handlers  # noqa: F401  (registers the outbox handlers)
        from .moderation import POST_MODERATION

        moderatable_register(POST_MODERATION)
