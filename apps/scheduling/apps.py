from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Scheduled readings: a reader's availability, the slots computed from it, and flat-rate bookings paid into
    ``hold:booking:<id>`` at booking time (SPEC §6)."""

    name = "apps.scheduling"
    label = "scheduling"
    verbose_name = "Scheduled readings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.readings.prepaid import prepaid_subject_register
        from apps.wallet.hold_subjects import hold_subject_register

        from . import outbox_handlers  # noqa: F401  (registers the invite emails' outbox handler)
        from .constants import BOOKING_SUBJECT
        from .selectors import finished_bookings
        from .services.attendance import booking_reading_finished

        hold_subject_register(BOOKING_SUBJECT, finished=finished_bookings)
        # The booked reading's room is a prepaid reading of the readings app, which calls back when it is over.
        prepaid_subject_register(BOOKING_SUBJECT, on_finished=booking_reading_finished)
        from . import privacy  # noqa: F401  (registers this app's personal data)
