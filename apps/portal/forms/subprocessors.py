"""The form of an objection to an announced subprocessor change."""

from django import forms


class ObjectionForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why do you object?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Give the reason for the objection."},
    )
