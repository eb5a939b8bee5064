"""Jobs in the admin: "My jobs" (every staff member's own; everyone's for those who may read
all jobs), each job's page with its live progress, its result and a retry button.

Jobs are written only by the services: nobody adds, edits or deletes one here. A staff member
who started a job reads it without any permission on jobs; reading other people's jobs needs
the view permission (Privacy Officers, Auditors), retrying them the change permission.
"""

from csp.decorators import csp_replace
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdminMixin, RegisterAdmin, acting_user
from apps.jobs.models import Job
from apps.jobs.selectors import JOB_PAGE_CSP, job_has_file, job_status
from apps.jobs.services import job_may_retry, job_retry


class WhoseFilter(admin.SimpleListFilter):
    """Started by me (the default), or by everyone for those who may read every job."""

    title = "started by"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        if request.user.has_perm("jobs.view_job"):
            return [("everyone", "Everyone")]
        return []

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Me",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "everyone" and request.user.has_perm("jobs.view_job"):
            return queryset
        return queryset.filter(started_by=request.user)


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, RegisterAdmin):
    change_form_template = "admin/jobs/job/change_form.html"
    list_display = ["title", "state_column", "progress", "started_by", "queued_at", "finished_at"]
    list_filter = [WhoseFilter, "state"]
    search_fields = ["title"]
    list_select_related = ["started_by"]
    fieldsets = (
        (None, {"fields": ("title", "kind", "state_column", "started_by", "controller")}),
        (
            "Progress",
            {"fields": ("progress", "step", "attempts", "queued_at", "started_at", "finished_at")},
        ),
        (
            "Result",
            {"fields": ("summary", "result_link", "result_file_note", "failure_reason")},
        ),
        ("Task queue", {"fields": ("task_result", "task_path", "arguments")}),
    )
    readonly_fields = [
        "title",
        "kind",
        "state_column",
        "started_by",
        "controller",
        "progress",
        "step",
        "attempts",
        "queued_at",
        "started_at",
        "finished_at",
        "summary",
        "result_link",
        "result_file_note",
        "failure_reason",
        "task_result",
        "task_path",
        "arguments",
    ]

    # Any staff member sees the jobs section and their own jobs in it.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.is_active and request.user.is_staff
        return obj.started_by_id == request.user.pk or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("started_by", "controller")
        if not super().has_view_permission(request):
            queryset = queryset.filter(started_by=request.user)
        return queryset

    def changelist_view(self, request, extra_context=None):
        everyone = request.GET.get("whose") == "everyone"
        extra_context = {"title": "Jobs" if everyone else "My jobs", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description="state", ordering="state")
    def state_column(self, obj):
        return obj.state_label

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.percent is None:
            return obj.counts or "-"
        return f"{obj.percent}% ({obj.counts})" if obj.counts else f"{obj.percent}%"

    @admin.display(description="result")
    def result_link(self, obj):
        url = obj.result_url() if obj.state == Job.State.DONE else ""
        if not url:
            return "-"
        return format_html('<a href="{}">{}</a>', url, obj.result_label or "Open the result")

    @admin.display(description="file")
    def result_file_note(self, obj):
        # Private storage gives no URL: the file is served by this admin's download view.
        if job_has_file(obj):
            url = reverse("admin:jobs_job_download", args=[obj.pk])
            return format_html(
                '<a href="{}">{}</a> (kept until {})',
                url,
                obj.result_filename,
                obj.result_expires_at,
            )
        if obj.result_filename:
            return f"{obj.result_filename}: no longer kept."
        return "-"

    @admin.display(description="task result")
    def task_result(self, obj):
        if not obj.task_result_id:
            return "-"
        try:
            url = reverse(
                "admin:django_tasks_database_dbtaskresult_change", args=[obj.task_result_id]
            )
        except NoReverseMatch:
            return obj.task_result_id
        return format_html('<a href="{}">{}</a>', url, obj.task_result_id)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="jobs_job_status",
            ),
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="jobs_job_retry",
            ),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="jobs_job_download",
            ),
            *super().get_urls(),
        ]

    def _job_or_404(self, request, object_id) -> Job:
        # As on every admin page, a job one may not view is a 403 (staff may know it exists);
        # the list shows only one's own (get_queryset, WhoseFilter).
        try:
            job = Job.objects.select_related("started_by", "controller").get(pk=object_id)
        except (Job.DoesNotExist, ValueError, ValidationError) as error:
            raise Http404 from error
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def _status(self, request, job: Job) -> dict:
        return job_status(
            job,
            download_url=reverse("admin:jobs_job_download", args=[job.pk]),
            retry_url=reverse("admin:jobs_job_retry", args=[job.pk]),
            may_retry=job_may_retry(job=job, user=request.user),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job_or_404(request, object_id)
        extra_context = {
            "job": job,
            "status": self._status(request, job),
            "status_url": reverse("admin:jobs_job_status", args=[job.pk]),
            **(extra_context or {}),
        }
        response = super().change_view(request, object_id, form_url, extra_context)
        return csp_replace(JOB_PAGE_CSP)(lambda _request: response)(request)

    def status_view(self, request, object_id):
        job = self._job_or_404(request, object_id)
        response = JsonResponse(self._status(request, job))
        response["Cache-Control"] = "no-store"
        return response

    def retry_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job_or_404(request, object_id)
        try:
            job_retry(job=job, by=acting_user(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The job is queued again.")
        return redirect("admin:jobs_job_change", job.pk)

    def download_view(self, request, object_id):
        job = self._job_or_404(request, object_id)
        if not job_has_file(job):
            raise Http404("This job has no file to download (any more).")
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=job.result_filename,
        )
