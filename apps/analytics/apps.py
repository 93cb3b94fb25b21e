from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Read-only analytics for readers (``/dashboard/analytics/``) and admins (``/staff/analytics/``).

    Every number is an aggregate over the ledger (``apps.wallet``), readings, reviews and users, grouped by
    week or month in the viewer's time zone by the database; this app writes nothing and has no models.
    """

    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"
