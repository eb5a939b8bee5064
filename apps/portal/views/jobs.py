"""The portal's pages of a long job a customer user started (a data export, a PDF): its state,
its progress (polled by static/js/job-progress.js), its result and a retry button.

Every job is fetched through `job_portal_list(controller=request.controller, user=request.user)`:
another organisation's job, or a colleague's, is a 404 (a 403 would say it exists).
"""

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.jobs.models import Job
from apps.jobs.selectors import JOB_PAGE_CSP, job_has_file, job_portal_list, job_status
from apps.jobs.services import job_may_retry, job_retry
from apps.portal.tenancy import ALL_ROLES, portal_view


def _job_or_404(request, job_id: int) -> Job:
    return get_object_or_404(
        job_portal_list(controller=request.controller, user=request.user), pk=job_id
    )


def _status(request, job: Job) -> dict:
    return job_status(
        job,
        download_url=reverse("portal:job_download", kwargs={"job_id": job.pk}),
        retry_url=reverse("portal:job_retry", kwargs={"job_id": job.pk}),
        may_retry=job_may_retry(job=job, user=request.user),
    )


@csp_replace(JOB_PAGE_CSP)
@portal_view
def job_detail(request, job_id: int):
    job = _job_or_404(request, job_id)
    return render(
        request,
        "portal/jobs/job_detail.html",
        {
            "job": job,
            "status": _status(request, job),
            "status_url": reverse("portal:job_status", kwargs={"job_id": job.pk}),
            "reload_url": request.path,
        },
    )


@portal_view
def job_status_json(request, job_id: int):
    job = _job_or_404(request, job_id)
    response = JsonResponse(_status(request, job))
    response["Cache-Control"] = "private, no-store"
    return response


# Retrying one's own job changes no record of the organisation: auditors who started one (a PDF
# of the record) may retry it too.
@portal_view(write_roles=ALL_ROLES)
@require_POST
def job_retry_view(request, job_id: int):
    job = _job_or_404(request, job_id)
    try:
        job_retry(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The job is queued again.")
    return redirect("portal:job_detail", job_id=job.pk)


@portal_view
def job_download(request, job_id: int):
    job = _job_or_404(request, job_id)
    if not job_has_file(job):
        raise Http404("This job has no file to download (any more).")
    response = FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_filename
    )
    response["Cache-Control"] = "private, no-store"
    return response
