"""Staff side of deletion and return. Requests come only from the portal; staff confirm, erase,
and read the certificate. Nothing is edited by hand: every move goes through services.py."""

from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import FileField, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from apps.core.admin import RegisterAdmin, acting_user, job_started_message, run_per_row
from apps.offboarding.models import DataExport, DeletionRequest
from apps.offboarding.services import deletion_erasure_start, deletion_request_confirm


class PortalMadeRowsAdmin(RegisterAdmin):
    """Rows made by the portal and the services; staff read them and act through actions.

    Not ReadOnlyAdminMixin: the actions need the change permission, so only add and delete are
    refused, and every field is read-only."""

    # Files live in private storage, which gives no URL: Django's display of a file field asks
    # for one and fails. Each file field is shown by the method named here, or not at all.
    file_displays: dict[str, str] = {}

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        names = [
            self.file_displays.get(f.name, "") if isinstance(f, FileField) else f.name
            for f in self.model._meta.fields
        ]
        return [name for name in names if name]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)


@admin.register(DeletionRequest)
class DeletionRequestAdmin(PortalMadeRowsAdmin):
    list_display = [
        "controller",
        "status",
        "requested_at",
        "requested_by",
        "cooling_off_ends_at",
        "confirmed_by",
        "completed_at",
        "certificate_link",
    ]
    list_filter = ["status"]
    search_fields = ["controller__legal_name"]
    list_select_related = ["controller", "requested_by", "confirmed_by"]
    actions = ["confirm_and_erase", "erase_confirmed"]
    file_displays = {"certificate": "certificate_link"}

    @admin.display(description="certificate")
    def certificate_link(self, obj):
        if not obj.certificate:
            return "-"
        url = reverse("admin:offboarding_deletionrequest_certificate", args=[obj.pk])
        return format_html('<a href="{}">Certificate (PDF)</a>', url)

    def _run(
        self,
        request: HttpRequest,
        queryset: QuerySet[DeletionRequest],
        service: Callable[[DeletionRequest], object],
        label: str,
    ) -> None:
        run_per_row(
            self,
            request,
            queryset.select_related("controller"),
            service,
            done=f"{label}: {{count}} request(s).",
        )

    # The erasure runs as a job (a worker, one transaction); the officer follows it on its page.
    def _start_erasure(self, request: HttpRequest, deletion: DeletionRequest) -> None:
        job = deletion_erasure_start(request=deletion, by=acting_user(request))
        job_started_message(request, job, f"{deletion.controller}: the erasure is queued.")

    @admin.action(
        description="Confirm and erase the data (Privacy Officer, after the cooling-off)",
        permissions=["change"],
    )
    def confirm_and_erase(self, request: HttpRequest, queryset: QuerySet[DeletionRequest]) -> None:
        def confirm_then_erase(deletion: DeletionRequest) -> None:
            confirmed = deletion_request_confirm(request=deletion, by=acting_user(request))
            self._start_erasure(request, confirmed)

        self._run(request, queryset, confirm_then_erase, "Confirmed, erasure queued")

    @admin.action(
        description="Erase the data of confirmed requests (retry)", permissions=["change"]
    )
    def erase_confirmed(self, request: HttpRequest, queryset: QuerySet[DeletionRequest]) -> None:
        self._run(
            request,
            queryset,
            lambda deletion: self._start_erasure(request, deletion),
            "Erasure queued",
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/certificate/",
                self.admin_site.admin_view(self.certificate_view),
                name="offboarding_deletionrequest_certificate",
            ),
            *super().get_urls(),
        ]

    def certificate_view(self, request, object_id):
        deletion = self.get_object(request, object_id)
        if deletion is None or not deletion.certificate:
            raise Http404
        if not self.has_view_permission(request, deletion):
            raise PermissionDenied
        return FileResponse(
            deletion.certificate.open("rb"),
            as_attachment=True,
            filename=f"deletion-certificate-{deletion.pk}.pdf",
            content_type="application/pdf",
        )


@admin.register(DataExport)
class DataExportAdmin(PortalMadeRowsAdmin):
    list_display = [
        "controller",
        "status",
        "requested_at",
        "requested_by",
        "ready_at",
        "expires_at",
    ]
    list_filter = ["status"]
    search_fields = ["controller__legal_name"]
    list_select_related = ["controller", "requested_by"]
    file_displays = {"file": "stored_file"}

    @admin.display(description="file")
    def stored_file(self, obj):
        # No link: the ZIP holds all of a customer's data; its admins download it in the
        # portal, behind a link that expires.
        if not obj.file:
            return "-"
        size = f", {filesizeformat(obj.size)}" if obj.size is not None else ""
        return f"In private storage{size}; the customer's admins download it in the portal."
