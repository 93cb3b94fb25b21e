"""Forms of the wallet's ledger pages (the Stripe top-up and refund forms live in forms_stripe.py)."""

from decimal import Decimal

from django import forms

from apps.accounts.models import User
from apps.wallet.enums import TransactionKind
from apps.wallet.services.adjustments import MAX_ADJUSTMENT


class KindFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Type", required=False, choices=[("", "All types"), *TransactionKind.choices])

    def selected_kind(self) -> str | None:
        if not self.is_valid():
            return None
        return self.cleaned_data.get("kind") or None


class AdjustmentForm(forms.Form):
    email = forms.EmailField(label="User email")
    direction = forms.ChoiceField(
        label="Direction",
        choices=[("credit", "Credit (add to the wallet)"), ("debit", "Debit (take from the wallet)")],
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label="Amount (USD)", min_value=Decimal("0.01"), max_value=MAX_ADJUSTMENT, max_digits=12, decimal_places=2
    )
    reason = forms.CharField(label="Reason", max_length=255, widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            self.cleaned_data["user"] = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            raise forms.ValidationError("No user has this email address.")
        return email

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason

    def signed_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == "credit" else -amount


class WalletFreezeForm(forms.Form):
    action = forms.ChoiceField(choices=[("freeze", "Freeze"), ("unfreeze", "Unfreeze")], widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason", max_length=255)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason
