"""Forms of the portal's customer-audit pages (the grant form is apps.audit.forms')."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone


class AuditTermsForm(forms.Form):
    accept = forms.BooleanField(
        label="I accept these confidentiality terms",
        error_messages={"required": "Accept the terms to start the audit."},
    )


class PortalRegisterAsOfForm(forms.Form):
    on = forms.DateField(
        label="As it stood at the end of", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise ValidationError("Choose today or a day in the past.")
        return on
