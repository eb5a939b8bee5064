"""Admin widgets that survive values no browser would send."""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class _SelectedKeysOnly:
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


class SafeAutocompleteMixin:
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
