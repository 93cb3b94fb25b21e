from decimal import Decimal
from typing import Any

from django import forms

from .constants import PHOTO_MAX_BYTES, RATE_MAX_AMOUNT
from .enums import DirectorySort, Modality
from .models import Language, ReaderProfile, Specialty, Tool
from .selectors import DirectoryQuery, available_modalities, taxonomy_picker_list

RATING_CHOICES = [("", "Any rating"), ("3", "3 stars and up"), ("4", "4 stars and up"), ("4.5", "4.5 stars and up")]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Search", max_length=100, required=False)
    specialty = forms.ChoiceField(label="Specialty", required=False)
    tool = forms.ChoiceField(label="Tool", required=False)
    language = forms.ChoiceField(label="Language", required=False)
    modality = forms.ChoiceField(label="Reading type", required=False)
    price_min = forms.DecimalField(
        label="Min $/min", required=False, min_value=Decimal("0"), max_value=RATE_MAX_AMOUNT, decimal_places=2
    )
    price_max = forms.DecimalField(
        label="Max $/min", required=False, min_value=Decimal("0"), max_value=RATE_MAX_AMOUNT, decimal_places=2
    )
    rating_min = forms.ChoiceField(label="Rating", choices=RATING_CHOICES, required=False)
    online = forms.BooleanField(label="Online now", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=DirectorySort.choices, required=False)

    def __init__(self, *args: Any, choices: dict[str, list[tuple[str, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in (("specialty", "All specialties"), ("tool", "All tools"), ("language", "All languages")):
            self.fields[name].choices = [("", label), *choices[name]]  # type: ignore[attr-defined]
        self.fields["modality"].choices = [("", "Any reading type")] + [  # type: ignore[attr-defined]
            (value, Modality(value).label) for value in available_modalities()
        ]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-input"
                )
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = "Name, specialty, words from a bio…"
        for name in ("price_min", "price_max"):
            self.fields[name].widget.attrs.update(step="0.01", inputmode="decimal")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", "The maximum price must be at least the minimum price.")
            data.pop("price_min", None)  # an inverted range is ignored as a whole
        return data

    def directory_query(self) -> DirectoryQuery:
        """The filters that are valid; an invalid one is reported next to its field and ignored."""
        if not self.is_bound:
            return DirectoryQuery()
        self.is_valid()
        data = self.cleaned_data
        rating = data.get("rating_min")
        return DirectoryQuery(
            q=(data.get("q") or "").strip(),
            specialty=data.get("specialty") or "",
            tool=data.get("tool") or "",
            language=data.get("language") or "",
            modality=data.get("modality") or "",
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            rating_min=Decimal(rating) if rating else None,
            online=bool(data.get("online")),
            sort=str(data.get("sort") or "online"),
        )


class PhotoInput(forms.ClearableFileInput):
    """Shows the current photo itself (not its storage path), with a box to remove it."""

    template_name = "readers/widgets/photo_input.html"
    clear_checkbox_label = "Remove this photo"


class ReaderProfileForm(forms.ModelForm):
    specialties = forms.ModelMultipleChoiceField(
        queryset=Specialty.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )
    tools = forms.ModelMultipleChoiceField(
        queryset=Tool.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )
    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ReaderProfile
        fields = [
            "display_name",
            "headline",
            "bio",
            "photo",
            "years_experience",
            "specialties",
            "tools",
            "languages",
            "text_rate_amount",
            "voice_rate_amount",
            "video_rate_amount",
            "scheduled_rate_amount",
            "paid_reply_amount",
        ]
        widgets = {"photo": PhotoInput}
        help_texts = {
            "photo": "A clear, friendly photo of you: JPEG, PNG or WebP, up to 5 MB. It is shown as a circle.",
            "headline": "One line clients see in the directory, e.g. “Tarot and mediumship with 20 years of practice”.",
            "text_rate_amount": "USD per minute, from $0.50 to $50.00. Leave empty if you do not offer it.",
            "voice_rate_amount": "USD per minute, from $0.50 to $50.00. Leave empty if you do not offer it.",
            "video_rate_amount": "USD per minute, from $0.50 to $50.00. Leave empty if you do not offer it.",
            "scheduled_rate_amount": "USD per minute for booked readings, from $0.50 to $50.00.",
            "paid_reply_amount": "USD for one paid reply to a message, from $0.50 to $100.00.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if Modality.VOICE not in available_modalities():
            # Voice and video need Agora; without it a reader can only offer chat.
            del self.fields["voice_rate_amount"]
            del self.fields["video_rate_amount"]
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
        for name, model in (("specialties", Specialty), ("tools", Tool), ("languages", Language)):
            self.fields[name].queryset = taxonomy_picker_list(model, profile=self.instance)  # type: ignore[attr-defined]

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "size") and photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError("The photo must be 5 MB or smaller.")
        if photo and getattr(photo, "content_type", None) not in (None, "image/jpeg", "image/png", "image/webp"):
            raise forms.ValidationError("Please upload a JPEG, PNG or WebP image.")
        return photo


class TaxonomyTermForm(forms.Form):
    name = forms.CharField(label="Name of the new entry", max_length=60, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"class": "form-input", "autocomplete": "off"})


class SuspensionForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        help_text="Required to suspend; kept in the audit log.",
    )
