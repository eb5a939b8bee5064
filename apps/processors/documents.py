"""The register as documents: the Art. 30(2) record as a PDF and register tables as CSV.

Staff download these from the admin; the portal calls the same functions for its own controller.
"""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from apps.controllers.models import Controller
from apps.processors.selectors import record_of_processing


def register_html(*, controller: Controller | None = None) -> str:
    context = record_of_processing(controller=controller)
    context["generated_at"] = timezone.now()
    return render_to_string("register/record_of_processing.html", context)


def register_pdf(*, controller: Controller | None = None) -> bytes:
    """The record of processing (Art. 30(2)) as a PDF: for one controller, or for all."""
    # Imported here: WeasyPrint loads Pango at import time, which only this needs.
    from weasyprint import HTML

    return HTML(string=register_html(controller=controller)).write_pdf()


def register_pdf_filename(*, controller: Controller | None = None) -> str:
    today = timezone.localdate().isoformat()
    if controller is None:
        return f"record-of-processing-all-controllers-{today}.pdf"
    slug = "".join(c if c.isalnum() else "-" for c in controller.legal_name.lower()).strip("-")
    return f"record-of-processing-{slug}-{today}.pdf"


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


# A cell starting with one of these is a formula in a spreadsheet: exported text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _resource_for(model: type[Model]):
    from apps.core.resources import resource_for_model

    return resource_for_model(model)


def register_table_rows(*, model: type[Model], queryset: QuerySet) -> Iterator[list[str]]:
    """The header and then one row per object, read in chunks, with the export's columns."""
    resource = _resource_for(model)
    fields = resource.get_export_fields()
    yield [_cell(field.column_name) for field in fields]
    queryset = resource.export_queryset(queryset)
    for obj in queryset.iterator(chunk_size=2000):
        yield [_cell(resource.export_field(field, obj)) for field in fields]


def register_table_csv(
    *, model: type[Model], queryset: QuerySet, filename: str | None = None
) -> StreamingHttpResponse:
    """A CSV of one register table, streamed row by row so that large tables never sit in memory."""
    writer = csv.writer(_Echo())
    rows: Iterable[list[str]] = register_table_rows(model=model, queryset=queryset)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    name = filename or f"{model._meta.model_name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
