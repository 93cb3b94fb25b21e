from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

HONEYPOT_FIELD = "website"


class HoneypotMixin(forms.Form):
    """A field people never see or fill. Bots that fill every input are refused with a generic error."""

    website = forms.CharField(required=False, label="Leave this field empty")

    def clean_website(self) -> str:
        value = self.cleaned_data.get(HONEYPOT_FIELD, "")
        if value:
            raise forms.ValidationError("This submission looks automated. Please try again.")
        return value


class SignupForm(HoneypotMixin, AllauthSignupForm):
    pass
