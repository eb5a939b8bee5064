"""The base of every ModelAdmin in the project.

Every admin page shows history (SimpleHistoryAdmin). simple-history's "revert" form saves on POST
after checking only the *view* permission of the history, so an auditor could write through it;
this base refuses that POST to anyone who may not change the object.

Beside it, the admin kit every registration shares: ReadOnlyAdminMixin (the one place that
refuses add, change and delete), run_per_row (an action that runs a service on each selected row
and reports what went through and what was refused) and copy_saved_fields (an add page whose row
a service created).
"""

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import path
from django.utils.functional import cached_property
from django_countries.fields import CountryField
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta

from apps.core.history import m2m_fields, m2m_history_model, m2m_rows_for, object_labels
from apps.core.models import ReferenceCounter
from apps.core.resources import resource_table_csv
from apps.core.widgets import (
    CountrySelect,
    CountrySelectMultiple,
    SafeAutocompleteMixin,
    SafeAutocompleteSelectMultiple,
)

_M = TypeVar("_M", bound=Model)


class ReadOnlyAdminMixin:
    """An admin that only reads: no add, change or delete, no actions. Put it first in the bases.

    For tables written only by the application (the trail, logs, reference counters) and for
    read-only inlines: the signatures fit a ModelAdmin and an InlineModelAdmin alike (an inline
    has no actions, so get_actions is simply never asked there). The one definition of these
    three refusals in the project: tests/core/test_admin_kit.py keeps it that way."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


def run_per_row(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[_M],
    service: Callable[[_M], object],
    *,
    done: str,
) -> int:
    """Run `service` on each selected row; say how many went through and why each other did not.

    For admin actions whose service may refuse a row (a `ValidationError`): each refusal is one
    error message, "<row>: <reasons>", and never a 500; the rows that went through are one
    success message, `done` with its "{count}" filled in (no other placeholder is read, so the
    text may carry names with braces). Each row runs in its own savepoint, so a refused row
    writes nothing even when the service wrote before refusing, and the others still stand.
    The success message shows unless every row was refused. Returns how many went through.
    """
    count = refused = 0
    for obj in queryset:
        try:
            with transaction.atomic(using=queryset.db):
                service(obj)
        except ValidationError as error:
            refused += 1
            reasons = " ".join(error.messages)
            modeladmin.message_user(request, f"{obj}: {reasons}", messages.ERROR)
        else:
            count += 1
    if count or not refused:
        modeladmin.message_user(request, done.replace("{count}", str(count)), messages.SUCCESS)
    return count


def copy_saved_fields(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved `obj` the row a service created (`saved`).

    An add page's save_model hands the form's data to a service, which creates the row; what
    follows in the admin (the success message, the redirect, the log entry) reads `obj`."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class EstimatedCountPaginator(Paginator):
    """Pages whose total comes from PostgreSQL's planner once a list is large.

    A changelist of a big table would otherwise run COUNT(*) over every matching row on every
    page view, a cost that grows with the table. The planner's row estimate for the filtered
    query (EXPLAIN, one cheap query that reads no rows) is close enough to draw the page links;
    below EXACT_BELOW rows it is replaced by the exact count, which is then cheap. SQLite, used by
    the demo, always counts.
    """

    EXACT_BELOW = 10_000

    @cached_property
    def count(self):
        queryset: Any = self.object_list  # a QuerySet on every admin list
        connection = connections[getattr(queryset, "db", "default")]
        if connection.vendor != "postgresql" or not hasattr(queryset, "explain"):
            return super().count
        try:
            plan = json.loads(queryset.order_by().explain(format="json"))
            estimate = int(plan[0]["Plan"]["Plan Rows"])
        except (ValueError, KeyError, IndexError, TypeError):
            return super().count
        if estimate < self.EXACT_BELOW:
            return super().count
        return estimate


class KnownObjectsAutocompleteSelectMultiple(SafeAutocompleteSelectMultiple):
    """An autocomplete that shows its selected options from objects the form already read.

    Django's widget reads the selected options again by primary key; the change form has just
    read the same rows for its initial value (OneQueryPerManyToManyForm sets known_objects).
    """

    known_objects = None

    def optgroups(self, name, value, attr=None):
        known = self.known_objects
        empty = self.choices.field.empty_values
        selected = {str(v) for v in value if str(v) not in empty}
        if known is None or {str(obj.pk) for obj in known} != selected:
            return super().optgroups(name, value, attr)
        label = self.choices.field.label_from_instance
        options = [
            self.create_option(name, obj.pk, label(obj), True, index)
            for index, obj in enumerate(known)
        ]
        return [(None, options, 0)]


def _inner_widget(widget):
    return getattr(widget, "widget", widget)  # unwrap RelatedFieldWidgetWrapper


class OneQueryPerManyToManyForm(forms.ModelForm):
    """A change form that reads each many-to-many field once, not twice.

    Unbound, a ModelForm reads each many-to-many field's selected rows for its initial value and
    its widget then reads them (an autocomplete) or every choice (a select box) again. Here a
    select box's choices come in one query that also marks the selected ones, and an autocomplete
    renders the selected rows of the initial value; the rows go into the instance's prefetch
    cache, which the initial value reads.
    """

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        unbound = not args and kwargs.get("data") is None
        all_choices, known = {}, {}
        if unbound and instance is not None and instance.pk is not None:
            all_choices, known = self._read_many_to_many(instance)
        super().__init__(*args, **kwargs)
        for name, rows in all_choices.items():
            field = cast(forms.ModelMultipleChoiceField, self.fields[name])
            choices = [(obj.pk, field.label_from_instance(obj)) for obj in rows]
            field.choices = choices
            _inner_widget(field.widget).choices = field.choices
        for name, rows in known.items():
            _inner_widget(self.fields[name].widget).known_objects = rows

    def _read_many_to_many(self, instance):
        all_choices, known = {}, {}
        cache = getattr(instance, "_prefetched_objects_cache", None)
        if cache is None:
            cache = instance._prefetched_objects_cache = {}
        for name, field in self.base_fields.items():
            try:
                model_field = instance._meta.get_field(name)
            except Exception:  # a form-only field
                continue
            if not model_field.many_to_many or name in cache or model_field.auto_created:
                continue
            widget = _inner_widget(field.widget)
            manager = getattr(instance, name)
            if isinstance(widget, KnownObjectsAutocompleteSelectMultiple):
                selected = list(manager.all())
                known[name] = selected
            elif isinstance(widget, forms.SelectMultiple) and not isinstance(
                widget, AutocompleteMixin
            ):
                through = model_field.remote_field.through
                is_selected = through._default_manager.filter(
                    **{
                        model_field.m2m_field_name(): instance.pk,
                        model_field.m2m_reverse_field_name(): OuterRef("pk"),
                    }
                )
                queryset = cast(forms.ModelMultipleChoiceField, field).queryset
                if queryset is None:
                    continue
                rows = list(queryset.annotate(_register_selected=Exists(is_selected)))
                selected = [obj for obj in rows if obj._register_selected]
                all_choices[name] = rows
            else:
                continue
            cached = manager.all()
            cached._result_cache = selected
            cached._prefetch_done = True
            cache[manager.prefetch_cache_name] = cached
        return all_choices, known


class CountryWidgetsMixin(BaseModelAdmin):
    """Country selects (about 250 options) written without a template render per option."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, CountryField) and "widget" not in kwargs:
            kwargs["widget"] = CountrySelectMultiple if db_field.multiple else CountrySelect
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class RegisterAdmin(SafeAutocompleteMixin, CountryWidgetsMixin, SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False
    paginator: type[Paginator] = EstimatedCountPaginator

    object_history_list_template = "admin/register/object_history_list.html"
    form: type[forms.ModelForm] = OneQueryPerManyToManyForm

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownObjectsAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The page's changes, with a fixed number of queries however long the history.

        simple-history diffs many-to-many fields with two queries per row and names each row's
        object by following its foreign keys one query at a time; here the page's m2m rows
        come in one query per field and the objects its rows name in one query per foreign key.
        """
        records = list(historical_records)
        if not records:
            return
        history_model = type(records[0])
        m2m_names = [f.name for f in m2m_fields(history_model)]
        m2m = m2m_rows_for(history_model, [r.pk for r in records]) if m2m_names else {}
        labels = object_labels(records)
        for record in records:
            record.history_object_label = labels[record.pk]

        # The rows come keyed by column (controller_id); simple-history's display reads them by
        # field name (controller), as its own diff gives them.
        field_names = {
            field.name: {
                f.attname: f.name
                for f in m2m_history_model(history_model, field)._meta.concrete_fields
            }
            for field in m2m_fields(history_model)
        }

        def through_rows(record, name):
            rename = field_names[name]
            return [
                {rename.get(k, k): v for k, v in row.items() if k != "history_id"}
                for row in m2m[record.pk][name]
            ]

        previous = None
        for current in records:
            if previous is None:
                previous = current
                continue
            delta = previous.diff_against(
                current, excluded_fields=m2m_names, foreign_keys_are_objs=foreign_keys_are_objs
            )
            changes, changed = list(delta.changes), list(delta.changed_fields)
            for name in m2m_names:
                old, new = through_rows(current, name), through_rows(previous, name)
                if old != new:
                    changes.append(ModelChange(name, old, new))
                    changed.append(name)
            delta = ModelDelta(changes, changed, current, previous)
            helper = self.get_historical_record_context_helper(request, previous)
            previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ParentCachedInlineFormSet(BaseInlineFormSet):
    """Each row's foreign key to the page's object is that object: naming a row
    (str(row) shows its parent) costs no query per row."""

    def _construct_form(self, i, **kwargs):
        # A private method of Django's formsets that django-stubs does not declare.
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        parent = self.instance
        if parent is not None and parent.pk is not None:
            target = self.fk.target_field.attname
            if getattr(form.instance, self.fk.attname) == getattr(parent, target):
                self.fk.set_cached_value(form.instance, parent)
        return form


class HistoryTabularInline(SafeAutocompleteMixin, CountryWidgetsMixin, admin.TabularInline):
    formset = ParentCachedInlineFormSet
    extra = 0
    show_change_link = True


if TYPE_CHECKING:
    # django-import-export has no type hints: for the checker this mixin stands on its admin.
    from import_export.admin import ImportExportMixin as _TableAdminBase
else:
    _TableAdminBase = object


class RegisterTableAdminMixin(_TableAdminBase):
    """Exports (CSV, XLSX, streamed CSV) and, with ImportExportMixin, strict imports.

    Combine as `class XAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin)`.
    Import needs add and change on the model (an import creates and updates rows); export needs
    view. The streamed CSV reads the filtered changelist in chunks, for tables too large to build
    in memory.
    """

    import_export_change_list_template = "admin/register/change_list_import_export.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnicodeDecodeError):
            message = (
                "The file is not UTF-8 text (it may be UTF-16, Latin-1 or a binary file). "
                "Save it as “CSV UTF-8” and upload it again, or upload it as XLSX."
            )
        else:
            message = (
                "The file could not be read in the chosen format: it may be damaged or another "
                "kind of file. Choose the format that matches the file (CSV or XLSX)."
            )
        form.add_error("import_file", message)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        urls = [
            path(
                "export-csv/",
                self.admin_site.admin_view(self.streamed_csv_view),
                name="{}_{}_export_csv".format(*info),
            )
        ]
        return urls + super().get_urls()

    def streamed_csv_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource_class = self.get_export_resource_classes(request)[0]
        return resource_table_csv(
            resource=resource_class(**self.get_export_resource_kwargs(request)),
            queryset=self.get_export_queryset(request),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["has_export_permission"] = self.has_export_permission(request)
        return super().changelist_view(request, extra_context)


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdminMixin, RegisterAdmin):
    """Numbers are taken by the services that create tickets and incidents, never by hand."""

    list_display = ["prefix", "year", "last_number"]
    list_filter = ["prefix"]
    readonly_fields = ["prefix", "year", "last_number"]


def acting_user(request: HttpRequest) -> Any:
    """The staff member acting on an admin page, to pass to a service as `by`.

    Typed Any, not AbstractBaseUser: each app's services name the project's user model, which
    the ground floor does not know. `admin_view` lets only signed-in staff reach these pages.
    """
    return request.user
