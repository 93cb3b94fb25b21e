from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from .constants import (
    CHAT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    GIFT_MAX_AMOUNT,
    GIFT_MIN_AMOUNT,
    TICKET_MAX_AMOUNT,
    TICKET_MIN_AMOUNT,
    TITLE_MAX_LENGTH,
)
from .enums import Animation, Visibility


class StreamForm(forms.Form):
    """A reader's new stream: go live now, or schedule it (the start in the reader's own time zone)."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visibility = forms.ChoiceField(
        label="Who may watch", choices=Visibility.choices, initial=Visibility.PUBLIC, widget=forms.RadioSelect
    )
    ticket_price = forms.DecimalField(
        label="Ticket price in dollars (premium streams)",
        required=False,
        min_value=TICKET_MIN_AMOUNT,
        max_value=TICKET_MAX_AMOUNT,
        decimal_places=2,
        help_text=(
            f"Between ${TICKET_MIN_AMOUNT} and ${TICKET_MAX_AMOUNT}. You keep your share; the rest goes to SoulSeer."
        ),
    )
    scheduled_start = forms.DateTimeField(
        label="Scheduled start (only when scheduling)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args: Any, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = ZoneInfo(tz_name)
        self.fields["scheduled_start"].help_text = f"In your time zone ({tz_name})."

    def clean_scheduled_start(self) -> datetime | None:
        value = self.cleaned_data.get("scheduled_start")
        if value is None:
            return None
        # The browser sends a wall-clock time: it is the reader's own time zone, stored in UTC.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.tz)

    def ticket_price_value(self) -> Decimal | None:
        return self.cleaned_data.get("ticket_price")


class ChatForm(forms.Form):
    body = forms.CharField(label="Your message", max_length=CHAT_MAX_LENGTH, widget=forms.TextInput)


class GiftKindForm(forms.Form):
    name = forms.CharField(label="Name", max_length=40)
    price_amount = forms.DecimalField(
        label="Price in dollars", min_value=GIFT_MIN_AMOUNT, max_value=GIFT_MAX_AMOUNT, decimal_places=2
    )
    animation = forms.ChoiceField(label="Animation", choices=Animation.choices)
    position = forms.IntegerField(label="Order in the catalog", min_value=0, max_value=1000, initial=0)
    is_active = forms.BooleanField(label="Offered to viewers", required=False, initial=True)
