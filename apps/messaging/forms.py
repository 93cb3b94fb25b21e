from django import forms

from apps.readers.constants import PAID_REPLY_MAX_AMOUNT, PAID_REPLY_MIN_AMOUNT

from .constants import MESSAGE_MAX_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=f"Plain text, up to {MESSAGE_MAX_LENGTH} characters. Links become clickable.",
    )


class ReplyForm(MessageForm):
    is_paid = forms.BooleanField(label="Paid reply: the client pays to read it", required=False)
    price_amount = forms.DecimalField(
        label="Price (USD)",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=PAID_REPLY_MIN_AMOUNT,
        max_value=PAID_REPLY_MAX_AMOUNT,
        help_text=f"Between ${PAID_REPLY_MIN_AMOUNT} and ${PAID_REPLY_MAX_AMOUNT}. You receive your share when the "
        "client unlocks the reply.",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search your messages", max_length=100, required=False)


class ReaderFinderForm(forms.Form):
    q = forms.CharField(label="Find a reader by name", max_length=60, required=False)
