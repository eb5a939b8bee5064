"""The trail's filter in the admin."""

import datetime
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model

from apps.core.dates import start_of
from apps.core.history import history_models
from apps.trail.models import TENANT_MODEL, TrailEntry


def tracked_model_choices():
    models = sorted((m.instance_type for m in history_models()), key=lambda m: m._meta.label_lower)
    return [("", "Any model")] + [
        (m._meta.label_lower, f"{m._meta.app_config.verbose_name}: {m._meta.verbose_name}")
        for m in models
    ]


class TrailFilterForm(forms.Form):
    """Filter by picking a model, a controller and a person by name: the controller and the
    person are admin autocompletes (search as you type), so nobody types raw ids and no page
    lists thousands of customers."""

    model = forms.ChoiceField(required=False, choices=tracked_model_choices)
    controller: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        required=False, queryset=None, label="Controller"
    )
    user: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        required=False, queryset=None, label="Who"
    )
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        pickers = (
            ("controller", apps.get_model(TENANT_MODEL)),
            ("user", get_user_model()),
        )
        for name, model in pickers:
            field = self.fields[name]
            if admin_site is not None:
                field.widget = AutocompleteSelect(
                    TrailEntry._meta.get_field(name), admin_site, attrs={"data-width": "20em"}
                )
            # Set after the widget: the queryset hands the widget its choices.
            field.queryset = model._default_manager.all()  # type: ignore[attr-defined]

    def selector_kwargs(self) -> dict:
        """Arguments for selectors.trail_entries; call after is_valid()."""
        data = self.cleaned_data
        return {
            "object_model": data.get("model") or None,
            "object_id": data.get("object_id") or None,
            "user_id": data["user"].pk if data.get("user") else None,
            "controller": data.get("controller"),
            "date_from": start_of(data["date_from"]) if data.get("date_from") else None,
            "date_to": (
                start_of(data["date_to"] + datetime.timedelta(days=1))
                if data.get("date_to")
                else None
            ),
        }
