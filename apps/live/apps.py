from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Livestreams and gifts (SPEC §7): URLs ``live:`` at /live/ and ``staff_live:`` at /staff/live/."""

    name = "apps.live"
    label = "live"
    verbose_name = "Livestreams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation.registry import moderatable_register
        from apps.rtc.access import register_access_check
        from apps.rtc.presence import presence_subscribe
        from apps.wallet.services.ledger_check import ledger_check_register

        from . import checks, outbox_handlers  # noqa: F401  (registers the outbox handlers)
        from .access import STREAM_USE, stream_rtc_access
        from .moderation import STREAM_MESSAGE_MODERATION
        from .services.presence import on_presence_signal

        register_access_check(STREAM_USE, stream_rtc_access)
        presence_subscribe(STREAM_USE, on_presence_signal)
        moderatable_register(STREAM_MESSAGE_MODERATION)
        ledger_check_register("live_payments_match_ledger")(checks.payments_match_ledger)
        from . import privacy  # noqa: F401  (registers this app's personal data)
