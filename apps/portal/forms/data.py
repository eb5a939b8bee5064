"""Forms of the portal's data pages: deletion of the organisation's data."""

from django import forms


class DeletionRequestForm(forms.Form):
    confirmation = forms.CharField(
        label="Type your organisation's legal name to confirm",
        max_length=200,
        help_text="Deletion erases your end users' identifiers, your users' accounts and files.",
    )
