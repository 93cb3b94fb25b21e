from decimal import Decimal

from django import forms

from .constants import SHARE_RATE_MAX, SHARE_RATE_MIN


class ShareRateForm(forms.Form):
    percent = forms.DecimalField(
        label="Reader share (%)",
        required=False,
        min_value=SHARE_RATE_MIN * 100,
        max_value=SHARE_RATE_MAX * 100,
        max_digits=5,
        decimal_places=2,
        help_text="Between 50 and 90. Leave empty for the platform's rate. New charges only.",
    )

    def rate(self) -> Decimal | None:
        percent = self.cleaned_data.get("percent")
        return None if percent is None else (percent / 100).quantize(Decimal("0.0001"))


class KycFlagsForm(forms.Form):
    background_check_done = forms.BooleanField(label="Background check done", required=False)
    note = forms.CharField(
        label="KYC note (admins only)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
