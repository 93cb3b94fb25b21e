from django import forms


class AuditLogFilterForm(forms.Form):
    action = forms.CharField(
        required=False,
        max_length=100,
        help_text="Starts with, e.g. accounts. or accounts.role_changed",
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )
    actor = forms.CharField(
        required=False,
        max_length=254,
        label="Actor email contains",
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )
    target = forms.CharField(
        required=False,
        max_length=170,
        help_text="Type or type:id, e.g. accounts.user:7",
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )
