from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Forums (SPEC §9): URLs ``community:`` at /community/ and ``staff_community:`` at /staff/community/."""

    name = "apps.community"
    label = "community"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register
        from apps.moderation.trust import trust_activity_register

        from . import (
            outbox_handlers,  # noqa: F401  (registers the outbox handlers)
            privacy,  # noqa: F401  (registers this app's personal data)
        )
        from .moderation import POST_MODERATION
        from .selectors import user_has_visible_post

        moderatable_register(POST_MODERATION)
        trust_activity_register(user_has_visible_post)
