from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    """Pay-per-minute readings (package ``apps.readings``, URLs ``readings:``, ``/readings/``, ``/staff/readings/``).

    The app label stays "livesessions" because it names the database tables and audit target types; it is the
    only place the old name remains. (Plain "sessions" belongs to django.contrib.sessions.)
    """

    name = "apps.readings"
    label = "livesessions"
    verbose_name = "Live readings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register
        from apps.moderation.trust import trust_activity_register
        from apps.rtc.access import register_access_check
        from apps.rtc.presence import presence_subscribe
        from apps.wallet.hold_subjects import hold_subject_register
        from apps.wallet.services.ledger_check import ledger_check_register

        from . import checks
        from .access import READING_CHAT_USE, reading_chat_rtc_access, session_presence_access, session_rtc_access
        from .constants import SESSION_SUBJECT
        from .moderation import CHAT_MESSAGE_MODERATION, REVIEW_MODERATION, has_completed_reading
        from .services.presence import PRESENCE_USE, on_presence_signal

        hold_subject_register(SESSION_SUBJECT, finished=checks.finalized_sessions)
        ledger_check_register("session_minutes_justified")(checks.minutes_justified)
        register_access_check(PRESENCE_USE, session_rtc_access, presence_check=session_presence_access)
        register_access_check(READING_CHAT_USE, reading_chat_rtc_access)
        presence_subscribe(PRESENCE_USE, on_presence_signal)
        moderatable_register(REVIEW_MODERATION)
        moderatable_register(CHAT_MESSAGE_MODERATION)
        trust_activity_register(has_completed_reading)
        from . import privacy  # noqa: F401  (registers this app's personal data)
