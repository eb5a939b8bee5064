"""The base of every ModelAdmin in the project.

Every admin page shows history (SimpleHistoryAdmin). simple-history's "revert" form saves on POST
after checking only the *view* permission of the history, so an auditor could write through it;
this base refuses that POST to anyone who may not change the object.

Every list answers only the lookups of the filters it shows (OfferedLookupsOnlyMixin, in
RegisterAdmin and ReadOnlyAdminMixin; libraries' admins take it through offered_lookups_only):
Django otherwise accepts any lookup on a model's own fields in the query string, so
`?body__regex=^http...` would read a hidden value one character at a time.

Beside it, the admin kit every registration shares: ReadOnlyAdminMixin (the one place that
refuses add, change and delete), run_per_row (an action that runs a service on each selected row
and reports what went through and what was refused), copy_saved_fields (an add page whose row
a service created) and, for long work, job_start_view and job_started_message (a page or an
action that starts a job, apps.jobs, and sends the person to follow it).
"""

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin.filters import (
    AllValuesFieldListFilter,
    BooleanFieldListFilter,
    ChoicesFieldListFilter,
    DateFieldListFilter,
    EmptyFieldListFilter,
    FieldListFilter,
    RelatedFieldListFilter,
    SimpleListFilter,
)
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    AutocompleteMixin,
    url_params_from_lookup_dict,
)
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django_countries.fields import CountryField
from simple_history.admin import SimpleHistoryAdmin

from apps.core.changes import history_pairs_changes
from apps.core.history import m2m_fields, m2m_rows_for, object_labels
from apps.core.models import ReferenceCounter
from apps.core.resources import REGISTER_FORMATS, resource_table_csv
from apps.core.widgets import (
    CountrySelect,
    CountrySelectMultiple,
    SafeAutocompleteMixin,
    SafeAutocompleteSelectMultiple,
)

_M = TypeVar("_M", bound=Model)
_A = TypeVar("_A", bound=admin.ModelAdmin)


def _field_filter_lookups(model: type[Model], path: str, filter_class: Any) -> set[str]:
    """The query parameters one of Django's field filters reads (its expected_parameters).

    Known from the filter's class and the field, without building the filter: building one reads
    its choices from the database. A filter class not named here offers no lookup (it fails
    closed: its links answer 400 until it is added).
    """
    field: Any = get_fields_from_path(model, path)[-1]
    if filter_class is None:
        # The filter Django picks for the field, as FieldListFilter.create does (the registry
        # is private to Django and undeclared in django-stubs).
        registry = cast(Any, FieldListFilter)._field_list_filters
        filter_class = next((cls for test, cls in registry if test(field)), None)
    if not isinstance(filter_class, type):
        return set()
    if issubclass(filter_class, EmptyFieldListFilter):
        return {f"{path}__isempty"}
    if issubclass(filter_class, RelatedFieldListFilter):  # and RelatedOnlyFieldListFilter
        return {f"{path}__{field.target_field.name}__exact", f"{path}__isnull"}
    if issubclass(filter_class, DateFieldListFilter):
        return {f"{path}__gte", f"{path}__lt"} | ({f"{path}__isnull"} if field.null else set())
    if issubclass(filter_class, BooleanFieldListFilter | ChoicesFieldListFilter):
        return {f"{path}__exact", f"{path}__isnull"}
    if issubclass(filter_class, AllValuesFieldListFilter):
        return {path, f"{path}__isnull"}
    return set()


def offered_lookups(model_admin: admin.ModelAdmin, request: HttpRequest | None) -> set[str]:
    """Every query parameter a changelist's sidebar filters and date drill-down may send."""
    lookups: set[str] = set()
    filters = model_admin.get_list_filter(request) if request else model_admin.list_filter
    for item in filters:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            if item.parameter_name:
                lookups.add(item.parameter_name)
        elif isinstance(item, list | tuple):
            path, filter_class = cast(tuple[Any, Any], item)
            name = path if isinstance(path, str) else path.name
            lookups |= _field_filter_lookups(model_admin.model, name, filter_class)
        elif isinstance(item, str):
            lookups |= _field_filter_lookups(model_admin.model, item, None)
        # Anything else (a ListFilter of unknown parameters) offers nothing.
    if model_admin.date_hierarchy:
        lookups |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return lookups


def raw_id_popup_lookup(model: type[Model], lookup: str, value: Any) -> bool:
    """Whether (lookup, value) is the fixed `limit_choices_to` of a foreign key to `model`,
    which Django's raw-id popup puts in the list's query string (the value must match too)."""
    for fk_lookup in model._meta.related_fkey_lookups:
        if callable(fk_lookup):
            fk_lookup = fk_lookup()
        if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
            return True
    return False


# The admin's own parameters that reach lookup_allowed without being lookups: Django then
# refuses them as fields (a redirect to "?e=1"), as it always has. Search (q), ordering (o),
# paging (p), popups and facets never reach it.
ADMIN_PARAMETERS = frozenset({"_changelist_filters"})


READING_METHODS = ("GET", "HEAD")


def _atomic_unless_reading(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view in a transaction of its own when it is sent a form, outside any when it is read:
    marked out of ATOMIC_REQUESTS, so that reading a page costs no BEGIN and COMMIT."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in READING_METHODS:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    return transaction.non_atomic_requests(wrapped)


class ReadsOutsideTransactionMixin:
    """The list, add, change and history pages take no transaction for a GET: they only read,
    and the request's own (ATOMIC_REQUESTS) would cost every page a BEGIN and a COMMIT. A form
    or an action sent to them runs in one, as before (`_atomic_unless_reading`)."""

    def get_urls(self):
        urls = super().get_urls()  # type: ignore[misc]
        opts = cast(admin.ModelAdmin, self).opts
        info = f"{opts.app_label}_{opts.model_name}"
        reading = {f"{info}_{page}" for page in ("changelist", "add", "change", "history")}
        for pattern in urls:
            if getattr(pattern, "name", None) in reading:
                pattern.callback = _atomic_unless_reading(pattern.callback)
        return urls

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Django's own atomic block in this view, around a submitted form only."""
        if request.method in READING_METHODS:
            # Django's changeform_view is this body inside transaction.atomic.
            changeform = cast(Any, self)._changeform_view
            return changeform(request, object_id, form_url, extra_context)
        return super().changeform_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )


class OfferedLookupsOnlyMixin:
    """A changelist filters only through the filters it shows; any other lookup is a 400.

    Django's own rule lets the query string filter on any field of the model itself, offered or
    not: `?body__regex=^https://x` or `?key__startswith=3a` tells whether a hidden value starts
    with a guess, and repeating it reads the value. Here a lookup must be one of the parameters
    of the sidebar filters (list_filter), of the date drill-down (date_hierarchy) or the fixed
    limit of a raw-id popup. Django turns a refusal (DisallowedModelAdminLookup) into a 400.
    The exports that follow a list's filters (import-export's, the streamed CSV) read the same
    changelist, so they answer the same.
    """

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        model_admin = cast(admin.ModelAdmin, self)
        return (
            lookup in ADMIN_PARAMETERS
            or lookup in offered_lookups(model_admin, request)
            or raw_id_popup_lookup(model_admin.model, lookup, value)
        )


def offered_lookups_only(admin_class: type[_A]) -> type[_A]:
    """A library's ModelAdmin (roles, two-factor devices, lockouts) with the project's rule on
    list lookups in front; register it in place of the library's own."""
    return cast(
        type[_A],
        type(
            admin_class.__name__, (OfferedLookupsOnlyMixin, admin_class), {"__module__": __name__}
        ),
    )


class ReadOnlyAdminMixin(ReadsOutsideTransactionMixin, OfferedLookupsOnlyMixin):
    """An admin that only reads: no add, change or delete, no actions. Put it first in the bases.

    For tables written only by the application (the trail, logs, reference counters) and for
    read-only inlines: the signatures fit a ModelAdmin and an InlineModelAdmin alike (an inline
    has no actions, so get_actions is simply never asked there). The one definition of these
    three refusals in the project: tests/core/test_admin_kit.py keeps it that way. Its lists,
    like RegisterAdmin's, answer only the lookups of the filters they show."""

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


def _country_column(model: Any, name: Any) -> Any:
    # One column object per model and field: Django finds a sortable column by identity in
    # get_sortable_by(), which reads get_list_display() again.
    if not isinstance(name, str):
        return None
    return _country_column_of(model, name)


@functools.cache
def _country_column_of(model: Any, name: str) -> Any:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(field, CountryField):
        return None

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj):
        value = getattr(obj, name)
        if field.multiple:
            return ", ".join(country.name for country in value) or "-"
        return value.name if value else "-"

    column.__name__ = name
    return column


class _ChoicesInUse:
    """A model field whose `flatchoices` are narrowed to the values some row holds."""

    def __init__(self, field: Any, in_use: set[Any]):
        self._field = field
        self.flatchoices = [(value, label) for value, label in field.flatchoices if value in in_use]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._field, name)


class InUseChoicesFieldListFilter(ChoicesFieldListFilter):
    """A choices filter that lists only the values in use: the three countries the controllers
    are in, not all 250. One query (the distinct values, read through the field's index where
    it has one); its lookups are the choices filter's, so the list offers them."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        in_use = set(
            model_admin.get_queryset(request)
            .order_by()
            .values_list(field_path, flat=True)
            .distinct()
        )
        self.field = cast(Any, _ChoicesInUse(field, in_use))


class ListWordsMixin:
    """A list's title says what the page is ("Data-subject requests", not "Select DSAR ticket
    to change"), and an empty list says what would be there and, where it is, that its
    emptiness is good news.

    `list_title` names the page (the model's plural by default); `empty_list_messages` maps a
    filter's query (e.g. "deadline=overdue") to what an empty list means under it, "" to the
    unfiltered list's message. templates/admin/change_list.html shows the message.
    """

    list_title: str = ""
    empty_list_messages: dict[str, str] = {}

    def empty_list_message(self, request: HttpRequest) -> str:
        for query, message in self.empty_list_messages.items():
            name, _, value = query.partition("=")
            if name and request.GET.get(name) == value:
                return message
        return self.empty_list_messages.get("", "") if not request.GET else ""

    def changelist_view(self, request: HttpRequest, extra_context=None):
        model_admin = cast(admin.ModelAdmin, self)
        words = {
            "title": self.list_title or capfirst(model_admin.model._meta.verbose_name_plural),
            "empty_list_message": self.empty_list_message(request),
        }
        return super().changelist_view(  # type: ignore[misc]
            request, {**words, **(extra_context or {})}
        )


class RegisterAdmin(
    ReadsOutsideTransactionMixin,
    ListWordsMixin,
    OfferedLookupsOnlyMixin,
    SafeAutocompleteMixin,
    CountryWidgetsMixin,
    SimpleHistoryAdmin,
):
    list_per_page = 50
    show_full_result_count = False
    paginator: type[Paginator] = EstimatedCountPaginator

    object_history_list_template = "admin/register/object_history_list.html"
    form: type[forms.ModelForm] = OneQueryPerManyToManyForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, AdminSplitDateTime):
            # Django writes "Date:" and "Time:" beside the two boxes without tying them to
            # either: a screen reader would announce two unnamed fields.
            field_name = capfirst(db_field.verbose_name)
            widget.widgets[0].attrs["aria-label"] = f"{field_name}: date"
            widget.widgets[1].attrs["aria-label"] = f"{field_name}: time"
        return formfield

    def get_list_display(self, request):
        """A country column shows the country's name from the row's own value: Django's cell
        would rebuild the field's 250 choices for every row (70 ms of a 100-row page)."""
        shown = super().get_list_display(request)
        return [_country_column(self.model, name) or name for name in shown]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A choice limited by the related row's own columns (`limit_choices_to={"is_staff":
        True}`) is read with a plain filter: Django narrows such a list with a correlated
        EXISTS over the whole table, 55 ms at 20,000 users for a list of 100 staff. The choices
        are the same; the model still checks the limit when it validates."""
        limit = db_field.remote_field.limit_choices_to
        if (
            "queryset" not in kwargs
            and isinstance(limit, dict)
            and limit
            and not any("__" in key for key in limit)
        ):
            database = kwargs.get("using")
            queryset = self.get_field_queryset(database, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(database).all()
            kwargs["queryset"] = queryset.filter(**limit)
            kwargs["limit_choices_to"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownObjectsAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The page's changes in words (apps/core/changes.py: labels, names, the reader's time
        zone), with a fixed number of queries however long the history: the page's m2m rows in
        one query per field, the objects its rows name in one query per related model."""
        records = list(historical_records)
        if not records:
            return
        history_model = type(records[0])
        m2m = (
            m2m_rows_for(history_model, [r.pk for r in records])
            if m2m_fields(history_model)
            else {}
        )
        labels = object_labels(records)
        for record in records:
            record.history_object_label = labels[record.pk]
        # Newest first: each row against the one below it; the oldest on the page against none
        # only when it is the creation.
        pairs = [
            (record.pk, record, records[i + 1] if i + 1 < len(records) else None)
            for i, record in enumerate(records)
            if i + 1 < len(records) or record.history_type == "+"
        ]
        changes = history_pairs_changes(history_model, pairs, m2m)
        for record in records:
            record.history_delta_changes = changes.get(record.pk, [])

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ParentCachedInlineFormSet(BaseInlineFormSet):
    """Each row's foreign key to the page's object is that object: naming a row
    (str(row) shows its parent) costs no query per row.

    A submission may add at most `max_new_rows` rows: enough for any real edit, and a bound on
    what a hostile POST (a thousand rows of ten-thousand-character text) can make the page
    validate and render again. More is refused with Django's "Please submit at most N forms".
    A refused page draws every row it was sent again, each transfer row with its list of 250
    countries: 20 new rows kept a CPU busy for up to a second, 10 for about half that.
    """

    max_new_rows = 10

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # Both: absolute_max stops building forms, max_num is the number the message names.
            self.absolute_max = self.max_num = len(self.get_queryset()) + self.max_new_rows

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
    """Exports (CSV, XLSX, streamed CSV; formula-safe) and, with ImportExportMixin, strict
    imports.

    Combine as `class XAdmin(RegisterTableAdminMixin, ImportExportMixin, RegisterAdmin)`. The
    import's preview stays in the request (bounded by IMPORT_MAX_ROWS); the confirmed import
    runs as a job (process_import).
    Import needs add and change on the model (an import creates and updates rows); export needs
    view. The streamed CSV reads the filtered changelist in chunks, for tables too large to build
    in memory.
    """

    import_export_change_list_template = "admin/register/change_list_import_export.html"
    # Every exported cell that a spreadsheet would run as a formula is written as text.
    formats = REGISTER_FORMATS
    # The confirmed import runs as a job: the function that starts it, in apps.jobs (above
    # core), named by its path, not imported, as the trail names the controller model.
    import_job_starter = "apps.jobs.imports.import_job_start"

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

    def process_import(self, request, **kwargs):
        """The confirm step: the preview (a dry run, bounded by IMPORT_MAX_ROWS) ran in the
        request; the import itself is recorded as a job, which a worker runs (all or nothing,
        each row saved as this person), and the job's page opens. A form that does not
        validate is answered by the library, as before."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return super().process_import(request, **kwargs)
        data = confirm_form.cleaned_data
        job = import_string(self.import_job_starter)(
            model=self.model,
            resource_class=self.choose_import_resource_class(confirm_form, request),
            format_class=self.get_import_formats()[int(data["format"])],
            file_name=data["import_file_name"],
            original_name=data["original_file_name"],
            encoding=self.from_encoding,
            by=request.user,
        )
        messages.info(request, "The import is queued; this page shows how far it has come.")
        return redirect(_admin_change_url(job))

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


def _admin_change_url(obj: Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def job_started_message(request: HttpRequest, job: Model, text: str = "") -> None:
    """Tell the staff member who started a job (apps.jobs) where to follow it."""
    messages.info(
        request,
        format_html(
            '{} <a href="{}">Follow “{}”</a> (also under My jobs).',
            text or "Started in the background.",
            _admin_change_url(job),
            str(job),
        ),
    )


def job_start_view(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    text: str,
    start: Callable[[], Model],
    warnings: list[str] | None = None,
) -> HttpResponse:
    """A page that starts a job (a document made in the background): a GET shows what it makes
    and a button, since a GET must not start work (a link prefetched or opened twice would);
    the POST calls `start`, which records the job, and opens the job's page. A refusal
    (ValidationError) is shown on the page as a message. `warnings` are shown above the button:
    what the document will still lack (a record's gaps), for the reader to decide."""
    if request.method == "POST":
        try:
            job = start()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            return redirect(_admin_change_url(job))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "text": text,
        "warnings": warnings or [],
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/register/job_start.html", context)


def acting_user(request: HttpRequest) -> Any:
    """The staff member acting on an admin page, to pass to a service as `by`.

    Typed Any, not AbstractBaseUser: each app's services name the project's user model, which
    the ground floor does not know. `admin_view` lets only signed-in staff reach these pages.
    """
    return request.user


# The task queue's admin pages (django-tasks-db's results; RQ's dashboard where TASKS_BACKEND is
# rq), registered again with the project's rule on list lookups. Their apps come before ours in
# INSTALLED_APPS, so their admins are registered by now. Both are read-only: workers write them.
for task_model_label in ("django_tasks_database.DBTaskResult", "django_rq.Dashboard"):
    try:
        task_model = django_apps.get_model(task_model_label)
    except LookupError:
        continue
    if admin.site.is_registered(task_model):
        task_admin = type(admin.site.get_model_admin(task_model))
        admin.site.unregister(task_model)
        admin.site.register(task_model, offered_lookups_only(task_admin))
