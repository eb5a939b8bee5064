import datetime

from django import forms
from django.utils import timezone

from apps.audit import chain
from apps.audit.models import AuditArea
from apps.controllers.models import Controller


def tracked_model_choices():
    models = sorted(
        (m.instance_type for m in chain.history_models()), key=lambda m: m._meta.label_lower
    )
    return [("", "Any model")] + [
        (m._meta.label_lower, f"{m._meta.app_config.verbose_name}: {m._meta.verbose_name}")
        for m in models
    ]


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class TrailFilterForm(forms.Form):
    model = forms.ChoiceField(required=False, choices=tracked_model_choices)
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    user = forms.EmailField(required=False, label="User email")
    # An id box, not a <select>: a processor with thousands of customers would render them all.
    controller = forms.ModelChoiceField(
        queryset=Controller.objects.all(),
        required=False,
        label="Controller id",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def selector_kwargs(self) -> dict:
        """Arguments for selectors.trail_entries; call after is_valid()."""
        from apps.accounts.models import User

        data = self.cleaned_data
        user_id = None
        if data.get("user"):
            # An unknown email matches nothing, rather than silently dropping the filter.
            user_id = (
                User.objects.filter(email__iexact=data["user"]).values_list("pk", flat=True).first()
                or -1
            )
        return {
            "object_model": data.get("model") or None,
            "object_id": data.get("object_id") or None,
            "user_id": user_id,
            "controller": data.get("controller"),
            "date_from": start_of(data["date_from"]) if data.get("date_from") else None,
            "date_to": (
                start_of(data["date_to"] + datetime.timedelta(days=1))
                if data.get("date_to")
                else None
            ),
        }


class RegisterAsOfForm(forms.Form):
    controller = forms.ModelChoiceField(
        queryset=Controller.objects.all(),
        label="Controller id",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    on = forms.DateField(
        label="As it stood at the end of", widget=forms.DateInput(attrs={"type": "date"})
    )


# Customer audits ---------------------------------------------------------------------------

DEFAULT_AUDIT_TERMS = (
    "You receive read-only access to the records named in this audit for its purpose only. "
    "You keep everything you see confidential: you do not copy, share or publish it beyond the "
    "audit report agreed with the organisation, and you delete your notes when the audit ends. "
    "Every page you open is logged and the organisation's admins can see that log."
)

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


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
        from django.core.exceptions import ValidationError

        from apps.audit.services import audit_grant_check

        cleaned = super().clean()
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
        from django.core.exceptions import ValidationError

        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise ValidationError("Choose today or a day in the past.")
        return on
