"""Shared pieces of the django-import-export resources of the register.

Imports are strict: an unknown column, a missing required column, an unknown category name, an
unreadable yes/no or country is an error on its row, and one error anywhere writes nothing.

Exports are written for spreadsheets, so every cell of every table the product writes (the
admin's exports, the streamed CSVs, the trail's CSV, the data-export ZIP) goes through one
helper, spreadsheet_cell: a cell that a spreadsheet would run as a formula is written as text.
"""

import csv
import re
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_countries import countries
from import_export import resources, widgets
from import_export.formats import base_formats


class StrictBooleanWidget(widgets.BooleanWidget):
    TRUE = {"1", "true", "yes", "y"}
    FALSE = {"0", "false", "no", "n", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"“{value}” is not yes or no (write yes/no, true/false or 1/0).")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class NamesWidget(widgets.ManyToManyWidget):
    """Many-to-many by name, separated by semicolons; an unknown name is an error, not skipped."""

    def __init__(self, model, **kwargs):
        super().__init__(model, separator=";", field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        names = [n.strip() for n in str(value or "").split(self.separator) if n.strip()]
        if not names:
            return self.model.objects.none()
        found = self.model.objects.filter(name__in=names)
        unknown = sorted(set(names) - set(found.values_list("name", flat=True)))
        if unknown:
            label = self.model._meta.verbose_name_plural
            raise ValueError(f"Unknown {label}: {', '.join(unknown)}.")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "; ".join(str(getattr(o, self.field)) for o in value.all())


class CountriesWidget(widgets.Widget):
    """A list of ISO 3166 country codes, separated by commas or semicolons."""

    def clean(self, value, row=None, **kwargs):
        codes = [c.strip().upper() for c in re.split(r"[,;]", str(value or "")) if c.strip()]
        unknown = [c for c in codes if c not in countries]
        if unknown:
            raise ValueError(f"Unknown country code(s): {', '.join(unknown)} (use e.g. US, DE).")
        return codes

    def render(self, value, obj=None, **kwargs):
        return ", ".join(country.code for country in value or [])


class CountryWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


# The most rows one import takes. The preview (a dry run of every row, each validated and saved
# with its history in a transaction rolled back) runs in the request, so that the page shows
# each row and its errors for the person to correct the file; a row costs about 35 queries, so
# this bound keeps the page to seconds. The confirmed import runs as a job (apps.jobs.imports).
# The register's tables hold tens of rows; a longer file is split.
IMPORT_MAX_ROWS = 100


class RegisterResource(resources.ModelResource):
    """Base of the register's resources: strict headers, validation through the model.

    `required_columns` must be present in an imported file; any column the resource does not
    know is refused rather than silently ignored, since a misspelt header would otherwise leave
    that field blank in every row.
    """

    required_columns: tuple[str, ...] = ("name",)

    def before_import(self, dataset, **kwargs):
        if len(dataset) > IMPORT_MAX_ROWS:
            raise ValueError(
                f"The file has {len(dataset):,} rows; at most {IMPORT_MAX_ROWS:,} are imported at "
                "once. Split it into smaller files."
            )
        dataset.headers = [str(h).strip() if h is not None else "" for h in dataset.headers or []]
        known = {field.column_name for field in self.get_import_fields()}
        unknown = [h for h in dataset.headers if h not in known]
        missing = [c for c in self.required_columns if c not in dataset.headers]
        problems = []
        if missing:
            problems.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s): {', '.join(h or '(blank)' for h in unknown)}")
        if problems:
            raise ValueError(
                "The file's header row is wrong: "
                + "; ".join(problems)
                + f". Expected columns: {', '.join(sorted(known))}."
            )
        super().before_import(dataset, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        # The history names the importer, whether the import runs in the request (where the
        # history middleware would) or in a job's worker (where no request is).
        user = kwargs.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user
        super().before_save_instance(instance, row, **kwargs)

    def export_queryset(self, queryset):
        """Add the joins and prefetches the export columns need (one query per relation)."""
        return queryset

    def filter_export(self, queryset, **kwargs):
        return self.export_queryset(queryset)


class EchoBuffer:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


# A cell starting with one of these is a formula in a spreadsheet: exported text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> str:
    """A value as CSV text that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def spreadsheet_dataset(dataset):
    """A copy of an import-export (tablib) dataset with every cell, headers included, as
    spreadsheet_cell writes it."""
    headers = [spreadsheet_cell(h) for h in dataset.headers] if dataset.headers else None
    rows = [[spreadsheet_cell(cell) for cell in row] for row in dataset]
    return type(dataset)(*rows, headers=headers, title=dataset.title)


class FormulaSafeFormat(base_formats.TablibFormat):
    """An import-export format whose exported cells go through spreadsheet_cell.

    django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading
    "=" (so "==1+1" still runs, and "+", "-", "@" are untouched); it then finds nothing to do.
    """

    def export_data(self, dataset, **kwargs):
        return super().export_data(spreadsheet_dataset(dataset), **kwargs)


# Named as django-import-export names its formats: the admin lists and picks them by name.
class CSV(FormulaSafeFormat, base_formats.CSV):
    pass


class XLSX(FormulaSafeFormat, base_formats.XLSX):
    pass


class TSV(FormulaSafeFormat, base_formats.TSV):
    pass


class HTML(FormulaSafeFormat, base_formats.HTML):
    """A table that spreadsheets open too."""


# The admin's import and export formats. JSON is read by programs, never run: it is left as is.
REGISTER_FORMATS = [CSV, XLSX, TSV, base_formats.JSON, HTML]


def resource_table_rows(*, resource: RegisterResource, queryset: QuerySet) -> Iterator[list[str]]:
    """The header and then one row per object, read in chunks, with the resource's columns."""
    fields = resource.get_export_fields()
    yield [spreadsheet_cell(field.column_name) for field in fields]
    queryset = resource.export_queryset(queryset)
    for obj in queryset.iterator(chunk_size=2000):
        yield [spreadsheet_cell(resource.export_field(field, obj)) for field in fields]


def resource_table_csv(
    *, resource: RegisterResource, queryset: QuerySet, filename: str | None = None
) -> StreamingHttpResponse:
    """A CSV of one table, streamed row by row so that large tables never sit in memory."""
    writer = csv.writer(EchoBuffer())
    rows = resource_table_rows(resource=resource, queryset=queryset)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    model = queryset.model
    name = filename or f"{model._meta.model_name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
