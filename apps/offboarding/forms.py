from django import forms


class DeletionRequestForm(forms.Form):
    confirmation = forms.CharField(
        label="Type your organisation's legal name to confirm",
        max_length=200,
        help_text="Deletion erases your end users' identifiers, your users' accounts and files.",
    )


class ObjectionForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why do you object?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Give the reason for the objection."},
    )
