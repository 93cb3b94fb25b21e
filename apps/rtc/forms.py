from django import forms

from .enums import Modality


class TestRoomForm(forms.Form):
    label = forms.SlugField(
        max_length=24,
        label="Room name",
        help_text="Letters, digits, '-' or '_'. Another admin who opens the same name joins the same room.",
    )
    modality = forms.ChoiceField(
        choices=[(Modality.VIDEO, "Video"), (Modality.VOICE, "Voice only")], initial=Modality.VIDEO, label="Kind"
    )
