from django.apps import AppConfig


class LiveSessionsConfig(AppConfig):
    """Pay-per-minute readings. Labelled "livesessions": django.contrib.sessions already owns "sessions"."""

    name = "apps.sessions"
    label = "livesessions"
    verbose_name = "Live readings"
    default_auto_field = "django.db.models.BigAutoField"
