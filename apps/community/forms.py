from typing import Any

from django import forms

from .constants import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_POST, POST_MAX_LENGTH, TITLE_MAX_LENGTH
from .enums import CategoryPosting, CategoryVisibility

ATTACHMENT_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; what each file really is gets checked by the service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT, "class": "form-input"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


ATTACHMENTS_HELP = (
    f"Up to {ATTACHMENTS_PER_POST} files: JPEG, PNG or WebP pictures, or PDFs, up to "
    f"{ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each. Pictures are saved without their location and camera details."
)

MARKDOWN_HELP = "Markdown works: **bold**, *italic*, > quotes, lists, `code` and links."


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=POST_MAX_LENGTH,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-input"}),
    )
    attachments = MultipleFileField(label="Pictures or PDFs (optional)", help_text=ATTACHMENTS_HELP)


class ThreadForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=TITLE_MAX_LENGTH, widget=forms.TextInput(attrs={"class": "form-input"})
    )
    body = forms.CharField(
        label="Your post",
        max_length=POST_MAX_LENGTH,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-input"}),
    )
    attachments = MultipleFileField(label="Pictures or PDFs (optional)", help_text=ATTACHMENTS_HELP)


class PostEditForm(ThreadForm):
    """Editing a post; the title is only offered for an opening post."""

    def __init__(self, *args: object, with_title: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["attachments"]  # files stay as they were posted
        if not with_title:
            del self.fields["title"]


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the forums",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-input", "type": "search"}),
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80, widget=forms.TextInput(attrs={"class": "form-input"}))
    description = forms.CharField(
        label="Description",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-input"}),
    )
    position = forms.IntegerField(
        label="Order",
        min_value=0,
        max_value=32767,
        initial=0,
        help_text="Forums are listed by this number, lowest first.",
    )
    visibility = forms.ChoiceField(
        label="Who may read it", choices=CategoryVisibility.choices, widget=forms.RadioSelect
    )
    posting = forms.ChoiceField(label="Who may post", choices=CategoryPosting.choices, widget=forms.RadioSelect)
