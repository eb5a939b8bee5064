"""The jobs of deletion and return: building a data export, erasing a controller's data."""

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task
from apps.offboarding.models import DataExport, DeletionRequest
from apps.offboarding.services import (
    certificate_counts,
    data_export_build,
    data_export_fail,
    data_export_reopen,
    deletion_request_execute,
)


@job_task
def build_data_export(job: Job, *, export_id: int) -> JobResult:
    """Make the ZIP of an export; its requester downloads it from the portal."""
    export = DataExport.objects.select_related("controller").get(pk=export_id)
    # A retry of a failed build tries the same export again.
    export = data_export_reopen(export=export, by=job.started_by)

    def progress(done: int, total: int | None, step: str) -> None:
        job_progress(job=job, done=done, total=total, step=step)

    try:
        export = data_export_build(export=export, progress=progress)
    except Exception as error:
        # Recorded on the export too: the portal lists it as failed, and a new one may be asked.
        data_export_fail(export=export, error=f"{type(error).__name__}: {error}")
        raise
    if export.status != DataExport.Status.READY:
        raise ValidationError(
            f"The export is {export.get_status_display().lower()}: there is no file to make."
        )
    return JobResult(
        summary=(
            f"The ZIP of all data of {export.controller} is ready "
            f"({filesizeformat(export.size or 0)}); its link was also emailed."
        ),
        link_name="portal:data_export_download",
        link_args=[export.pk],
        link_label="Download the export",
    )


@job_task
def erase_deletion_request(job: Job, *, request_id: int) -> JobResult:
    """Erase a confirmed request's controller's personal data and issue the certificate."""
    request = DeletionRequest.objects.select_related("controller").get(pk=request_id)
    if request.status != DeletionRequest.Status.COMPLETED:
        if job.started_by is None:
            raise ValidationError("The officer who started this erasure has no account any more.")
        # One transaction, all or nothing: its progress shows as one step until it commits.
        job_progress(
            job=job, done=0, step="Erasing personal data (one transaction: all or nothing)"
        )
        request = deletion_request_execute(request=request, by=job.started_by)
    facts = "; ".join(f"{label}: {count}" for label, count in certificate_counts(request=request))
    return JobResult(
        summary=f"The data of {request.controller} is erased. {facts}.",
        link_name="admin:offboarding_deletionrequest_change",
        link_args=[request.pk],
        link_label="The request and its certificate",
    )
