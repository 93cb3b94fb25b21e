from django import forms

from .enums import ReportAction, ReportReason, SuspensionPeriod
from .services import REPORT_DETAILS_MAX_LENGTH
from .trust import TrustLevel


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=ReportReason.choices, widget=forms.RadioSelect, label="Why are you reporting this?"
    )
    details = forms.CharField(
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything a moderator should know (optional)",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ReportDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=ReportAction.choices, widget=forms.RadioSelect, label="Decision")
    suspension_period = forms.ChoiceField(
        required=False,
        choices=[("", "Choose a period"), *SuspensionPeriod.choices],
        label="Suspend the author for (with “suspend”)",
    )
    suspension_reason = forms.CharField(
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the suspension (the author is shown it)",
    )
    note = forms.CharField(
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note for the audit log (optional)",
    )


class ContentHideForm(forms.Form):
    reason = forms.CharField(
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is this hidden? (its author and, for a review, the reader see this)",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ContentUnhideForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it shown again? (for the audit log, optional)",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class SuspendForm(forms.Form):
    period = forms.ChoiceField(choices=SuspensionPeriod.choices, label="Suspend for")
    reason = forms.CharField(
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason (the user is shown it)",
    )


class LiftForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why is it lifted? (for the audit log, optional)",
    )


TRUST_CHOICES = [("", "Computed automatically"), *((str(value), label) for value, label in TrustLevel.choices())]


class TrustOverrideForm(forms.Form):
    level = forms.ChoiceField(required=False, choices=TRUST_CHOICES, label="Trust level")
