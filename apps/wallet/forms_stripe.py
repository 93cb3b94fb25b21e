"""Forms of the card payment pages: top-up amount, refund to card."""

from decimal import Decimal
from typing import Any

from django import forms

from apps.wallet.exceptions import InvalidAmount
from apps.wallet.services.topups import topup_amount_clean, topup_limits, topup_presets

OTHER = "other"


class TopUpForm(forms.Form):
    choice = forms.ChoiceField(label="Amount", widget=forms.RadioSelect, required=True)
    other_amount = forms.DecimalField(
        label="Other amount (USD)",
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        low, high = topup_limits()
        self.fields["choice"].choices = [(str(p), f"${p}") for p in topup_presets()] + [(OTHER, "Other amount")]
        self.fields["other_amount"].help_text = f"Between ${low} and ${high}."
        self.fields["other_amount"].widget.attrs.update({"min": str(low), "max": str(high)})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("choice")
        raw: Any = data.get("other_amount") if choice == OTHER else choice
        if choice == OTHER and raw is None:
            self.add_error("other_amount", "Enter the amount you want to add.")
            return data
        if choice is None:
            return data
        try:
            data["amount"] = topup_amount_clean(raw)
        except InvalidAmount as exc:
            self.add_error("other_amount" if choice == OTHER else "choice", exc.message)
        return data


class TopUpConfirmForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)

    def clean_amount(self) -> Decimal:
        try:
            return topup_amount_clean(self.cleaned_data["amount"])
        except InvalidAmount as exc:
            raise forms.ValidationError(exc.message)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund (USD)",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log.",
    )
