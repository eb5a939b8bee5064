"""Admin widgets: long option lists written without a template render per option, and
autocompletes that survive values no browser would send."""

from django import forms
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_countries.widgets import LazySelect, LazySelectMultiple


class WrittenOptionsMixin(forms.Select):
    """A <select> whose options are written in Python.

    Django renders each <option> through its own template: about 250 countries cost several
    milliseconds per select, and an inline shows one select per row. The markup is Django's, with the
    attributes in sorted order, escaped the same way.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        "" if option["value"] is None else option["value"],
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part is escaped by format_html


class CountrySelect(WrittenOptionsMixin, LazySelect):
    pass


class CountrySelectMultiple(WrittenOptionsMixin, LazySelectMultiple):
    pass


class _SelectedKeysOnly(AutocompleteMixin):
    """Django's autocomplete widgets look the submitted values up in the database when a refused
    form is shown again; a value that is not a valid key (":" typed into an id) raised a
    ValueError there, a 500. The field already reports it as an invalid choice, so the widget
    leaves it out of the lookup."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key_name = getattr(remote, "field_name", None) or remote.model._meta.pk.name
        key = remote.model._meta.get_field(key_name)

        def is_key(v):
            try:
                key.run_validators(key.to_python(v))
            except ValidationError:
                return False
            return True

        value = [v for v in value if v in (None, "") or is_key(v)]
        return super().optgroups(name, value, attr)


class SafeAutocompleteSelect(_SelectedKeysOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_SelectedKeysOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin(BaseModelAdmin):
    """For ModelAdmin and inlines: autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
