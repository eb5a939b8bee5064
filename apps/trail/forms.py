"""The trail's filter in the admin."""

import datetime

from django import forms
from django.contrib.auth import get_user_model

from apps.core.dates import start_of
from apps.core.history import history_models


def tracked_model_choices():
    models = sorted((m.instance_type for m in history_models()), key=lambda m: m._meta.label_lower)
    return [("", "Any model")] + [
        (m._meta.label_lower, f"{m._meta.app_config.verbose_name}: {m._meta.verbose_name}")
        for m in models
    ]


class TrailFilterForm(forms.Form):
    model = forms.ChoiceField(required=False, choices=tracked_model_choices)
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    user = forms.EmailField(required=False, label="User email")
    # An id box, not a <select>: a processor with thousands of customers would render them all.
    controller = forms.IntegerField(required=False, min_value=1, label="Controller id")
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
        User = get_user_model()
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
