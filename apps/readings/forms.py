from decimal import Decimal

from django import forms

from apps.readers.constants import RATE_MAX_AMOUNT
from apps.readings.enums import Modality
from apps.readings.models import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH, REVIEW_MAX_LENGTH

SPENDING_CAP_MAX_AMOUNT = RATE_MAX_AMOUNT * 600  # ten hours at the highest rate


class SessionRequestForm(forms.Form):
    """What the client chooses on a reader's profile: how to talk, an optional note and spending limit."""

    modality = forms.ChoiceField(label="Reading type", widget=forms.RadioSelect)
    intake_note = forms.CharField(
        label="What would you like to ask? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The reader sees this with your request.",
    )
    spending_cap = forms.DecimalField(
        label="Spending limit for this reading, in dollars (optional)",
        required=False,
        min_value=Decimal("0.50"),
        max_value=SPENDING_CAP_MAX_AMOUNT,
        decimal_places=2,
        help_text="The reading ends by itself before it would cost more than this.",
    )

    def __init__(self, *args, offers: list[tuple[str, Decimal]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["modality"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, f"{Modality(value).label} · ${rate}/min") for value, rate in offers]
        if len(offers) == 1:
            field.initial = offers[0][0]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Private notes (only you can see them)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Your rating",
        coerce=int,
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Your review (optional)",
        required=False,
        max_length=REVIEW_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", max_length=REVIEW_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))
