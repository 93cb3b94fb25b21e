"""Forms of availability editing and booking. They parse input; the services enforce the rules."""

from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.timezones import TimezoneSelect, timezone_choices

from .constants import DEFAULT_HORIZON_DAYS, DURATION_CHOICES, MAX_BUFFER_MINUTES, MAX_HORIZON_DAYS
from .enums import ExceptionKind
from .services.availability import WEEKDAY_NAMES
from .slots import INSTANT_FORMAT, instant_param

NOTICE_CHOICES = [
    (0, "No notice"),
    (60, "1 hour"),
    (120, "2 hours"),
    (240, "4 hours"),
    (720, "12 hours"),
    (1440, "1 day"),
    (2880, "2 days"),
    (4320, "3 days"),
    (10080, "1 week"),
]
BUFFER_CHOICES = [
    (minutes, f"{minutes} minutes" if minutes else "None")
    for minutes in (0, 5, 10, 15, 30, 45, 60, 90, MAX_BUFFER_MINUTES)
]
DURATION_LABELS = [(minutes, f"{minutes} minutes") for minutes in DURATION_CHOICES]
TIME_INPUT = {"class": "form-input", "type": "time", "step": "300"}


class LocalDateTimeField(forms.Field):
    """A wall-clock date and time (``<input type="datetime-local">``), kept naive: the service reads it in the
    reader's zone, not the server's."""

    widget = forms.DateTimeInput(attrs={"class": "form-input", "type": "datetime-local", "step": "300"})

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError("Enter a date and time, like 2026-07-01 14:30.") from None
        return parsed.replace(tzinfo=None, second=0, microsecond=0)


class ScheduleForm(forms.Form):
    is_accepting = forms.BooleanField(required=False, label="Take bookings")
    timezone = forms.ChoiceField(
        label="Your time zone",
        choices=timezone_choices,
        help_text="Your weekly hours and dates are in this zone; clients see them in their own.",
        widget=TimezoneSelect(attrs={"class": "form-select"}),
    )
    durations = forms.TypedMultipleChoiceField(
        label="Lengths you offer",
        choices=DURATION_LABELS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    buffer_before_minutes = forms.TypedChoiceField(
        label="Free time before each reading",
        choices=BUFFER_CHOICES,
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    buffer_after_minutes = forms.TypedChoiceField(
        label="Free time after each reading",
        choices=BUFFER_CHOICES,
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    min_notice_minutes = forms.TypedChoiceField(
        label="Minimum notice",
        choices=NOTICE_CHOICES,
        coerce=int,
        help_text="Clients cannot book a time sooner than this.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    horizon_days = forms.IntegerField(
        label="How far ahead clients can book (days)",
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        initial=DEFAULT_HORIZON_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-input", "inputmode": "numeric"}),
    )


class WeeklyWindowForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label="Days",
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day of the week."},
    )
    start_time = forms.TimeField(label="From", widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"))
    end_time = forms.TimeField(
        label="Until",
        help_text="00:00 means midnight at the end of the day.",
        widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"),
    )


class DateExceptionForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"class": "form-input", "type": "date"}))
    kind = forms.ChoiceField(
        label="Change", choices=ExceptionKind.choices, initial=ExceptionKind.DAY_OFF, widget=forms.RadioSelect
    )
    start_time = forms.TimeField(
        label="Extra hours from", required=False, widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M")
    )
    end_time = forms.TimeField(
        label="Extra hours until",
        required=False,
        help_text="Only for extra hours; 00:00 means midnight.",
        widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M"),
    )


class TimeBlockForm(forms.Form):
    starts_local = LocalDateTimeField(label="Away from")
    ends_local = LocalDateTimeField(label="Back at")
    note = forms.CharField(
        label="Note (only you see it)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )


class SlotsQueryForm(forms.Form):
    """Which slots to show: a duration, a first day (the viewer's local date) and one day or a week."""

    duration = forms.TypedChoiceField(
        label="Length",
        choices=DURATION_LABELS,
        coerce=int,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    day = forms.DateField(required=False)
    days = forms.TypedChoiceField(choices=[(1, "Day"), (7, "Week"), (60, "60 days")], coerce=int, required=False)

    def values(self, *, offered: list[int], today: date) -> tuple[int, date, int]:
        data = self.cleaned_data if self.is_valid() else {}
        duration = data.get("duration") or (offered[0] if offered else DURATION_CHOICES[0])
        if offered and duration not in offered:
            duration = offered[0]
        first = max(data.get("day") or today, today)
        return duration, first, data.get("days") or 7


class InstantField(forms.Field):
    """A UTC instant written as ``INSTANT_FORMAT``."""

    widget = forms.HiddenInput

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            return datetime.strptime(str(value), INSTANT_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationError("That slot is not a valid time. Please pick one from the list.") from None

    def prepare_value(self, value: Any) -> Any:
        return instant_param(value) if isinstance(value, datetime) else value


class ConfirmQueryForm(forms.Form):
    start = InstantField()
    duration = forms.TypedChoiceField(choices=DURATION_LABELS, coerce=int, widget=forms.HiddenInput)


class BookingConfirmForm(ConfirmQueryForm):
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    modality = forms.ChoiceField(label="Kind of reading", widget=forms.RadioSelect)
    intake_note = forms.CharField(
        label="Anything the reader should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-input", "rows": 3}),
    )

    def __init__(self, *args: Any, modalities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["modality"].choices = modalities
        if modalities:
            self.fields["modality"].initial = modalities[0][0]
