from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Scheduled readings: a reader's availability, the slots computed from it, and flat-rate bookings paid into
    ``hold:booking:<id>`` at booking time (SPEC §6)."""

    name = "apps.scheduling"
    label = "scheduling"
    verbose_name = "Scheduled readings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.hold_subjects import hold_subject_register

        from .constants import BOOKING_SUBJECT
        from .selectors import finished_bookings

        hold_subject_register(BOOKING_SUBJECT, finished=finished_bookings)

        from . import outbox_handlers  # noqa: F401  (registers the invite emails' outbox handler)
