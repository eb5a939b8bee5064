"""Reads of jobs: whose a page may show, and the status its page polls."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from apps.jobs.models import Job

# The Content-Security-Policy of a job's pages (django-csp's csp_replace): the site's, with no
# inline style either. The site allows inline styles for the admin's own pages; a job's page,
# in the admin or the portal, has none, and its script is a static file (job-progress.js).
JOB_PAGE_CSP = {"style-src": ["'self'"]}


def job_list_started_by(*, user) -> QuerySet[Job]:
    """The jobs a person started, newest first ("My jobs")."""
    return Job.objects.started_by(user).select_related("started_by")


def job_portal_list(*, controller, user) -> QuerySet[Job]:
    """The jobs a customer user may open in the portal: the organisation's, started by them.

    Scoped to the controller the request acts for (apps.portal.tenancy), so another
    organisation's job is a 404; and to its starter, so a colleague's download is not theirs.
    """
    return Job.objects.for_controller(controller).started_by(user).select_related("started_by")


def job_for(*, kind: str, **arguments) -> Job | None:
    """The latest job of `kind` started with these arguments (an export's, a change's notice)."""
    lookups = {f"arguments__{name}": value for name, value in arguments.items()}
    return Job.objects.filter(kind=kind, **lookups).order_by("-queued_at", "-pk").first()


def job_status(
    job: Job, *, download_url: str = "", retry_url: str = "", may_retry: bool = False
) -> dict[str, Any]:
    """What a job's page shows, as JSON for its polling script (static/js/job-progress.js)."""
    expires = job.result_expires_at
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.state_label,
        "finished": job.is_finished,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "counts": job.counts,
        "step": job.step,
        "summary": job.summary,
        "failure_reason": job.failure_reason,
        "result_url": job.result_url() if job.state == Job.State.DONE else "",
        "result_label": job.result_label,
        "download_url": download_url if job_has_file(job) else "",
        "download_until": (
            date_format(timezone.localtime(expires), "DATETIME_FORMAT") if expires else ""
        ),
        "retry_url": retry_url if (may_retry and job.can_be_retried) else "",
    }


def job_has_file(job: Job) -> bool:
    """Whether the job's file may be downloaded now (made, not erased, not expired)."""
    return job.state == Job.State.DONE and bool(job.result_file) and not job.result_file_expired
