from typing import Any

from django import forms

from apps.accounts.forms import HoneypotMixin

from .enums import TicketStatus


class AccessibleFormMixin(forms.Form):
    """Styles inputs and links each one to its error message and help text with aria-describedby.

    Matches templates/partials/form_field.html, which renders errors with the id ``<field id>_error``
    and help with ``<field id>_helptext``. (Django itself only links the help text.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Textarea):
                css = "form-textarea"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = ""
            else:
                css = "form-input"
            if css:
                widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            ids = [f"{self[name].auto_id}_error"]
            if self.fields[name].help_text:
                ids.append(f"{self[name].auto_id}_helptext")
            widget.attrs["aria-describedby"] = " ".join(ids)
            widget.attrs["aria-invalid"] = "true"


class ContactForm(HoneypotMixin, AccessibleFormMixin, forms.Form):
    name = forms.CharField(label="Your name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We send our answer to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    subject = forms.CharField(label="Subject", min_length=3, max_length=150)
    message = forms.CharField(
        label="Message",
        min_length=10,
        max_length=5000,
        help_text="Up to 5,000 characters.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        if user is not None and user.is_authenticated:
            kwargs.setdefault("initial", {}).update({"name": user.display_name, "email": user.email})
        super().__init__(*args, **kwargs)
        honeypot = self.fields["website"].widget
        honeypot.attrs.update({"tabindex": "-1", "autocomplete": "off"})


class TicketReplyForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(
        label="Your reply",
        min_length=2,
        max_length=5000,
        help_text="Emailed to the requester and kept in this thread.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class TicketFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), *TicketStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
