from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import ValidationError

from .enums import Role, Theme
from .models import User
from .timezones import TimezoneSelect, timezone_choices
from .validators import IMAGE_ACCEPT, image_upload_validate

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


# --- Profile, reader applications and admin forms ------------------------------------------------------

IMAGE_HELP = "JPEG, PNG or WebP, up to 2 MB."


class ImageUploadField(forms.FileField):
    """A file field whose content must be a still JPEG, PNG or WebP image (checked by Pillow), at most 2 MB.

    Services store the image re-encoded without its metadata (``validators.image_upload_prepare``).
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", IMAGE_HELP)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT, "class": "form-input"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value and value is not initial and hasattr(value, "size"):
            image_upload_validate(value)
        return value


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=60,
        required=False,
        help_text="Shown to other people instead of your email address.",
        widget=forms.TextInput(attrs={"class": "form-input", "autocomplete": "nickname"}),
    )
    avatar = ImageUploadField(
        required=False,
        label="Profile picture",
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT, "class": "form-input"}),
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my current picture")
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Times of readings and bookings are shown in this zone.",
        widget=TimezoneSelect(attrs={"class": "form-select"}),
    )
    theme = forms.ChoiceField(
        label="Colour theme", choices=Theme.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    notify_email_messages = forms.BooleanField(
        required=False, label=User._meta.get_field("notify_email_messages").verbose_name
    )
    notify_email_readings = forms.BooleanField(
        required=False, label=User._meta.get_field("notify_email_readings").verbose_name
    )
    notify_email_account = forms.BooleanField(
        required=False, label=User._meta.get_field("notify_email_account").verbose_name
    )

    NOTIFY_FIELDS = ("notify_email_messages", "notify_email_readings", "notify_email_account")

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {
            "display_name": user.display_name,
            "timezone": user.timezone,
            "theme": user.theme,
            **{name: getattr(user, name) for name in cls.NOTIFY_FIELDS},
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("avatar") and cleaned.get("remove_avatar"):
            raise ValidationError("Choose a new picture or remove the current one, not both.")
        return cleaned


class ReaderApplicationForm(forms.Form):
    bio = forms.CharField(
        max_length=4000,
        min_length=50,
        label="About you",
        help_text="How you read, what clients can expect from you (50 to 4,000 characters). Clients will see this.",
        widget=forms.Textarea(attrs={"class": "form-textarea", "rows": 8}),
    )
    specialties = forms.CharField(
        max_length=300,
        help_text="Comma-separated, e.g. tarot, mediumship, astrology.",
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )
    tools = forms.CharField(
        max_length=300,
        required=False,
        label="Tools you use",
        help_text="Comma-separated, e.g. Rider–Waite deck, pendulum. Optional.",
        widget=forms.TextInput(attrs={"class": "form-input"}),
    )
    years_experience = forms.IntegerField(
        min_value=0,
        max_value=80,
        label="Years of experience",
        widget=forms.NumberInput(attrs={"class": "form-input", "inputmode": "numeric"}),
    )
    photo = ImageUploadField(
        label="Photo of you",
        help_text=f"A clear, recent photo of your face. {IMAGE_HELP}",
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT, "class": "form-input"}),
    )

    def clean_specialties(self) -> str:
        value = self.cleaned_data["specialties"]
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items:
            raise ValidationError("Please name at least one specialty.")
        return ", ".join(items)

    def clean_tools(self) -> str:
        value = self.cleaned_data["tools"]
        return ", ".join(item.strip() for item in value.split(",") if item.strip())


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Reason for rejection",
        help_text="The applicant receives this by email and sees it on their application page.",
        widget=forms.Textarea(attrs={"class": "form-textarea", "rows": 4}),
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=254,
        label="Email contains",
        widget=forms.SearchInput(attrs={"class": "form-input", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        required=False,
        label="Role",
        choices=[("", "Any role"), *Role.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(
        label="New role", choices=Role.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    reason = forms.CharField(
        max_length=1000,
        label="Reason",
        help_text="Recorded in the audit log.",
        widget=forms.Textarea(attrs={"class": "form-textarea", "rows": 3}),
    )
