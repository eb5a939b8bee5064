"""Forms of customer audits shared by the admin and the portal; the services hold the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.models import DEFAULT_AUDIT_TERMS, AuditArea
from apps.audit.services import audit_grant_check
from apps.controllers.models import Controller

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RegisterAsOfForm(forms.Form):
    controller = forms.ModelChoiceField(
        queryset=Controller.objects.all(),
        label="Controller id",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    on = forms.DateField(
        label="As it stood at the end of", widget=forms.DateInput(attrs={"type": "date"})
    )


class AuditGrantForm(forms.Form):
    """A new customer audit, in the admin and in the portal; the service holds the rules."""

    auditor_email = forms.EmailField(
        label="Auditor's email", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    auditor_name = forms.CharField(label="Auditor's name", max_length=200)
    areas = forms.MultipleChoiceField(
        choices=AuditArea.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The auditor opens only these parts of the portal.",
    )
    starts_at = forms.DateTimeField(label="Access starts", widget=_DATETIME)
    expires_at = forms.DateTimeField(
        label="Access ends", widget=_DATETIME, help_text="After this, the auditor sees nothing."
    )
    terms_version = forms.CharField(max_length=50, initial="1")
    terms = forms.CharField(
        label="Confidentiality terms",
        widget=forms.Textarea(attrs={"rows": 6}),
        initial=DEFAULT_AUDIT_TERMS,
        help_text="The auditor accepts these before seeing anything.",
    )

    def __init__(self, *args, controller=None, by=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.controller = controller
        self.by = by
        if not self.is_bound:
            self.initial.setdefault("starts_at", timezone.now().replace(second=0, microsecond=0))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        controller = self.controller or cleaned.get("controller")
        needed = ("auditor_email", "areas", "starts_at", "expires_at")
        if self.errors or controller is None or not all(cleaned.get(k) for k in needed):
            return cleaned
        try:
            audit_grant_check(
                controller=controller,
                auditor_email=cleaned["auditor_email"],
                areas=cleaned["areas"],
                starts_at=cleaned["starts_at"],
                expires_at=cleaned["expires_at"],
                by=self.by,
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in (*self.declared_fields.keys(),) if k != "controller"}
