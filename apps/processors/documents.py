"""The register as a document: the Art. 30(2) record as a PDF.

Staff and customers ask for it on a page and follow its making as a job (services.py,
tasks.py); the same functions make it for the data export and the API.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from apps.controllers.models import Controller
from apps.processors.selectors import record_of_processing


def register_html(*, controller: Controller | None = None) -> str:
    context = record_of_processing(controller=controller)
    context["generated_at"] = timezone.now()
    return render_to_string("register/record_of_processing.html", context)


def pdf_from_html(html: str) -> bytes:
    """A document's HTML laid out as a PDF (WeasyPrint): the slow part of every PDF."""
    # Imported here: WeasyPrint loads Pango at import time, which only this needs.
    from weasyprint import HTML

    # PDF/UA-1: tagged, so that a screen reader reads the record in order, headings and tables
    # as such.
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def register_pdf(*, controller: Controller | None = None) -> bytes:
    """The record of processing (Art. 30(2)) as a PDF: for one controller, or for all.

    Pages ask for it as a job (`register_pdf_start`); the data export's ZIP includes it.
    """
    return pdf_from_html(register_html(controller=controller))


def register_pdf_filename(*, controller: Controller | None = None) -> str:
    today = timezone.localdate().isoformat()
    if controller is None:
        return f"record-of-processing-all-controllers-{today}.pdf"
    slug = "".join(c if c.isalnum() else "-" for c in controller.legal_name.lower()).strip("-")
    return f"record-of-processing-{slug}-{today}.pdf"
