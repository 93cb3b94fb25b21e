"""The date-range picker of the analytics pages."""

from datetime import date, timedelta
from typing import Any

from django import forms

from .enums import Grain
from .periods import Period

MAX_RANGE_DAYS = 731  # two years: at most 105 weekly buckets on one chart
DEFAULT_RANGE_DAYS = 90


class PeriodForm(forms.Form):
    """``from`` and ``to`` (days in the viewer's zone, both included) and the bucket size. Unbound, or with no
    dates given, it means the last 90 days by week."""

    first_day = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date", "class": "form-input"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date", "class": "form-input"}, format="%Y-%m-%d")
    )
    grain = forms.ChoiceField(
        label="Group by", choices=Grain.choices, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, data: Any = None, *, today: date, zone_name: str) -> None:
        self.today = today
        self.zone_name = zone_name
        given = {key: data.get(key) for key in ("first_day", "last_day", "grain")} if data else {}
        if not any(given.values()):
            given = self.default_values(today)
        elif not given.get("grain"):
            given["grain"] = Grain.WEEK
        super().__init__(given)

    @staticmethod
    def default_values(today: date) -> dict[str, Any]:
        return {
            "first_day": (today - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat(),
            "last_day": today.isoformat(),
            "grain": Grain.WEEK,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last:
            if last > self.today:
                self.add_error("last_day", "The range cannot end after today.")
            elif first > last:
                self.add_error("first_day", "The start date must be on or before the end date.")
            elif (last - first).days + 1 > MAX_RANGE_DAYS:
                self.add_error("first_day", f"Choose a range of at most {MAX_RANGE_DAYS} days (two years).")
        return cleaned

    def period(self) -> Period:
        """The chosen period; call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return Period(
            first_day=data["first_day"], last_day=data["last_day"], grain=data["grain"], zone_name=self.zone_name
        )
