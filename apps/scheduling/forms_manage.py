"""Forms of the booking pages: cancelling, moving a booking, and the admin's list filters and cancel."""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from .enums import BookingStatus


class ClientCancelForm(forms.Form):
    """The client confirms the refund they were shown."""

    expected_refund = forms.DecimalField(widget=forms.HiddenInput, min_value=Decimal("0.00"), decimal_places=2)


class ReaderCancelForm(forms.Form):
    reason = forms.CharField(
        label="Message to the client (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the client with the cancellation.",
    )


class RescheduleDayForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))


class RescheduleForm(forms.Form):
    """The new start, as the exact instant offered on the page (ISO 8601 with its offset)."""

    starts_at = forms.CharField(max_length=40)

    def clean_starts_at(self) -> datetime:
        value = self.cleaned_data["starts_at"]
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError("Pick one of the times offered.")
        if timezone.is_naive(instant):
            raise forms.ValidationError("Pick one of the times offered.")
        return instant


class StaffBookingFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *BookingStatus.choices])
    reader = forms.CharField(label="Reader (email or name)", required=False, max_length=254)
    client_email = forms.CharField(label="Client email", required=False, max_length=254)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reader_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class StaffCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept on the booking and in the audit log; both sides are told.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason
