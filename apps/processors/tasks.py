"""The record of processing as a PDF, made by a worker for whoever asked for it."""

from apps.controllers.models import Controller
from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task
from apps.processors.documents import pdf_from_html, register_html, register_pdf_filename


@job_task
def make_register_pdf(job: Job, *, controller_id: int | None) -> JobResult:
    """The Art. 30(2) record, for one controller or for all, kept for its asker to download."""
    controller = Controller.objects.get(pk=controller_id) if controller_id is not None else None
    job_progress(job=job, done=0, total=2, step="Reading the record")
    html = register_html(controller=controller)
    job_progress(job=job, done=1, total=2, step="Laying out the PDF")
    pdf = pdf_from_html(html)
    return JobResult(
        summary=f"The record of processing is ready ({len(pdf) // 1024 + 1} KB).",
        file=pdf,
        filename=register_pdf_filename(controller=controller),
    )
