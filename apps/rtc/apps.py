from django.apps import AppConfig


class RtcConfig(AppConfig):
    name = "apps.rtc"
    label = "rtc"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import outbox_handlers  # noqa: F401  (registers "rtc.agora_kick")
        from .access import register_access_check
        from .diagnostics import DIAGNOSTICS_USE, diagnostics_rtc_access

        register_access_check(DIAGNOSTICS_USE, diagnostics_rtc_access)
        from . import privacy  # noqa: F401  (registers this app's personal data)
