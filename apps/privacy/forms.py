from django import forms


class DeletionRequestForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="We ask for it again to be sure it is you.",
    )
    forfeit_balance = forms.BooleanField(
        label="I give up the money left in my wallet",
        required=False,
        help_text="Wallet credit cannot be spent once the account is deleted.",
    )
