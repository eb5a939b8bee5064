"""Portal pages of deletion and return: record downloads, data exports, deletion requests.

Every object is fetched through a queryset scoped to `request.controller`, so another
controller's export or request is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from apps.core.dates import datetime_text
from apps.core.resources import resource_table_csv
from apps.jobs.selectors import job_portal_list
from apps.offboarding import selectors, services
from apps.offboarding.models import DataExport, DeletionRequest
from apps.portal.areas import page_open
from apps.portal.forms.data import DeletionRequestForm
from apps.portal.tenancy import ALL_ROLES, MANAGE_ROLES, portal_view
from apps.processors.selectors import record_gaps
from apps.processors.services import register_pdf_start


def _own_controller(request, controller_id: int):
    # The controller is in the URL so that a saved link names whose record it is; it must be
    # the one the request acts for, else 404 (a 403 would confirm it exists).
    if controller_id != request.controller.pk:
        raise Http404("Not your organisation.")
    return request.controller


@portal_view
def data_overview(request):
    controller = request.controller
    # Exports and deletions are the organisation's own business: an auditor under a grant is
    # shown neither (the template asks the same question), so they are not read for one.
    own_business = page_open(request, "data_export_request")
    exports = list(selectors.data_export_list(controller=controller)[:10]) if own_business else []
    # Each export the reader asked for links to the job that builds it (one query for all).
    export_jobs = (
        {
            job.arguments.get("export_id"): job
            for job in job_portal_list(controller=controller, user=request.user).filter(
                kind=services.EXPORT_JOB, arguments__export_id__in=[e.pk for e in exports]
            )
        }
        if exports
        else {}
    )
    return render(
        request,
        "portal/offboarding/data_overview.html",
        {
            "tables": list(selectors.record_tables(controller=controller)),
            "exports": [(export, export_jobs.get(export.pk)) for export in exports],
            "deletions": (
                list(selectors.deletion_request_list(controller=controller)[:10])
                if own_business
                else []
            ),
            "can_manage": request.membership.role in MANAGE_ROLES,
            "now": timezone.now(),
        },
    )


# Anyone who may read the record may have it as a PDF, auditors included: starting the job
# writes nothing of the organisation's.
@portal_view(write_roles=ALL_ROLES)
def record_pdf(request, controller_id: int):
    """The record as a PDF: made by a worker (a job); this page starts it and opens its page."""
    controller = _own_controller(request, controller_id)
    if request.method == "POST":
        job = register_pdf_start(controller=controller, by=request.user)
        return redirect("portal:job_detail", job_id=job.pk)
    return render(
        request,
        "portal/jobs/start.html",
        {
            "title": "Record of processing activities (PDF)",
            "text": (
                f"The record of processing activities (Art. 30(2)) we keep for {controller}, "
                "laid out as a PDF."
            ),
            "back_url": reverse("portal:data_overview"),
            "back_label": "Your data",
            "gaps": [gap.text for gap in record_gaps(controller=controller)],
        },
    )


@portal_view
def record_table_csv(request, controller_id: int, table: str):
    controller = _own_controller(request, controller_id)
    resource, queryset = selectors.record_tables(controller=controller)[table]
    return resource_table_csv(
        resource=resource,
        queryset=queryset,
        filename=f"record-{table.replace('_', '-')}-{timezone.localdate().isoformat()}.csv",
    )


@portal_view(roles=MANAGE_ROLES)
def data_export_request(request):
    if request.method == "POST":
        try:
            export = services.data_export_request(controller=request.controller, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                "Your export is being prepared. This page shows how far it has come; we will "
                "also email you a download link when it is ready.",
            )
            job = services.data_export_job(export=export)
            if job is not None:
                return redirect("portal:job_detail", job_id=job.pk)
        return redirect("portal:data_overview")
    return render(request, "portal/offboarding/export_request.html")


@portal_view(roles=MANAGE_ROLES)
def data_export_download(request, export_id: int):
    export = get_object_or_404(
        selectors.data_export_list(controller=request.controller), pk=export_id
    )
    if export.status != DataExport.Status.READY:
        raise Http404("This export has no file to download.")
    if export.is_expired:
        return render(
            request,
            "portal/offboarding/export_expired.html",
            {"export": export},
            status=410,
        )
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.filename(),
        content_type="application/zip",
    )


@portal_view(roles=MANAGE_ROLES)
def deletion_request(request):
    pending = selectors.deletion_request_pending(controller=request.controller)
    form = DeletionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.deletion_request_create(
                controller=request.controller,
                confirmation=form.cleaned_data["confirmation"],
                by=request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("portal:data_overview")
        else:
            messages.success(
                request,
                "Deletion requested. Any admin of your organisation can cancel it until "
                f"{datetime_text(created.cooling_off_ends_at)}.",
            )
            return redirect("portal:data_overview")
    return render(
        request, "portal/offboarding/deletion_request.html", {"form": form, "pending": pending}
    )


@portal_view(roles=MANAGE_ROLES)
def deletion_cancel(request, deletion_id: int):
    deletion = get_object_or_404(
        selectors.deletion_request_list(controller=request.controller), pk=deletion_id
    )
    if request.method == "POST":
        try:
            services.deletion_request_cancel(request=deletion, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The deletion request is cancelled. Nothing was erased.")
        return redirect("portal:data_overview")
    return render(
        request,
        "portal/offboarding/deletion_cancel.html",
        {"deletion": deletion, "can_cancel": deletion.status == DeletionRequest.Status.COOLING_OFF},
    )
