"""Customer audits in the admin: grants (made and revoked through the services the portal uses
too), the auditors' access log, and the register of one controller as it stood on a date."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from apps.accounts.models import User
from apps.audit import selectors
from apps.audit.forms import RegisterAsOfForm
from apps.audit.models import DEFAULT_AUDIT_TERMS, AuditAccessLog, AuditArea, AuditGrant
from apps.audit.services import audit_grant_check, audit_grant_create, audit_grant_revoke
from apps.core.admin import (
    ReadOnlyAdminMixin,
    RegisterAdmin,
    acting_user,
    copy_saved_fields,
    run_per_row,
)
from apps.core.dates import start_of


class AuditGrantAddForm(forms.ModelForm):
    """The add form: who, which controller, what, how long; the service invites and grants."""

    auditor_email = forms.EmailField(label="Auditor's email")
    auditor_name = forms.CharField(label="Auditor's name", max_length=200)
    areas = forms.MultipleChoiceField(
        choices=AuditArea.choices, widget=forms.CheckboxSelectMultiple
    )

    # The staff member adding the grant; set by AuditGrantAdmin.get_form.
    request_user: User

    class Meta:
        model = AuditGrant
        fields = ["controller", "areas", "starts_at", "expires_at", "terms_version", "terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terms"].initial = DEFAULT_AUDIT_TERMS
        self.fields["terms_version"].initial = "1"

    def _post_clean(self):
        # The grant is made by the service in save_model; here only its rules, as field errors.
        data = self.cleaned_data
        needed = ("controller", "auditor_email", "areas", "starts_at", "expires_at")
        if self.errors or not all(data.get(k) for k in needed):
            return
        try:
            audit_grant_check(
                controller=data["controller"],
                auditor_email=data["auditor_email"],
                areas=data["areas"],
                starts_at=data["starts_at"],
                expires_at=data["expires_at"],
                by=self.request_user,
            )
        except ValidationError as error:
            self.add_error(None, error)


@admin.register(AuditGrant)
class AuditGrantAdmin(RegisterAdmin):
    """Customer audits. Granting goes through the service (the same one as the portal's); a grant
    is not edited afterwards: revoke it and grant again."""

    list_display = [
        "auditor",
        "controller",
        "areas_display",
        "starts_at",
        "expires_at",
        "terms_accepted_at",
        "status",
    ]
    # Only the controllers that have grants: a sidebar of every customer would grow with them.
    list_filter = [("controller", admin.RelatedOnlyFieldListFilter), "starts_at", "expires_at"]
    search_fields = ["auditor__email", "controller__legal_name"]
    list_select_related = ["auditor", "controller"]
    actions = ["revoke_grants"]
    readonly_fields = [
        "auditor",
        "controller",
        "membership",
        "areas_display",
        "starts_at",
        "expires_at",
        "terms_version",
        "terms",
        "created_by",
        "created_at",
        "terms_accepted_at",
        "terms_accepted_ip",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description="areas")
    def areas_display(self, obj):
        return ", ".join(obj.get_areas_display())

    @admin.display(description="status")
    def status(self, obj):
        now = timezone.now()
        if obj.revoked_at:
            return "Revoked"
        if obj.expires_at <= now:
            return "Ended"
        if obj.starts_at > now:
            return "Not started"
        return "Active" if obj.terms_accepted_at else "Active, terms not accepted"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AuditGrantAddForm
            form = super().get_form(request, obj, **kwargs)
            form.request_user = request.user
            return form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "auditor_email",
                "auditor_name",
                "controller",
                "areas",
                "starts_at",
                "expires_at",
                "terms_version",
                "terms",
            ]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a grant is edited; revoke it instead
        data = form.cleaned_data
        grant = audit_grant_create(
            controller=data["controller"],
            auditor_email=data["auditor_email"],
            auditor_name=data["auditor_name"],
            areas=data["areas"],
            starts_at=data["starts_at"],
            expires_at=data["expires_at"],
            terms=data["terms"],
            terms_version=data["terms_version"],
            by=acting_user(request),
        )
        copy_saved_fields(obj, grant)

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Revoke selected audits now", permissions=["change"])
    def revoke_grants(self, request: HttpRequest, queryset: QuerySet[AuditGrant]) -> None:
        run_per_row(
            self,
            request,
            queryset.select_related("controller", "auditor"),
            lambda grant: audit_grant_revoke(grant=grant, by=acting_user(request)),
            done="Revoked {count} audit(s).",
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("register-as-of/", view(self.register_as_of_view), name="audit_register_as_of"),
            *super().get_urls(),
        ]

    def register_as_of_view(self, request):
        if not request.user.has_perm("trail.view_trailentry"):
            raise PermissionDenied
        form = RegisterAsOfForm(request.GET or None)
        snapshot = None
        if form.is_bound and form.is_valid():
            when = start_of(form.cleaned_data["on"] + datetime.timedelta(days=1))
            snapshot = selectors.audit_register_as_of(
                controller=form.cleaned_data["controller"], when=when
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "The register as it stood on a date",
            "form": form,
            "snapshot": snapshot,
        }
        return TemplateResponse(request, "admin/audit/register_as_of.html", context)


@admin.register(AuditAccessLog)
class AuditAccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every portal page opened by an auditor under a customer audit; nobody edits it."""

    list_display = ["at", "auditor", "controller", "method", "path", "url_name", "status", "ip"]
    # No controller sidebar: listing every customer would grow with them. One controller's log
    # is ?controller__id__exact=<id>, as linked from its grants.
    list_filter = ["at"]
    search_fields = ["grant__auditor__email", "path"]
    list_select_related = ["grant__auditor", "controller"]
    readonly_fields = ["grant", "controller", "path", "url_name", "method", "status", "at", "ip"]
    show_full_result_count = False

    @admin.display(description="auditor", ordering="grant__auditor__email")
    def auditor(self, obj):
        return obj.grant.auditor.email
