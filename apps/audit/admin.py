"""The audit trail in the admin: one read-only view across every model, its CSV export, and the
register of one controller as it stood on a date. Nobody adds, changes or deletes here."""

import csv
import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from apps.audit import selectors
from apps.audit.forms import DEFAULT_AUDIT_TERMS, RegisterAsOfForm, TrailFilterForm, start_of
from apps.audit.models import AuditAccessLog, AuditArea, AuditGrant, TrailEntry, TrailScrub
from apps.audit.services import audit_grant_check, audit_grant_create, audit_grant_revoke
from apps.core.admin import RegisterAdmin

EXPORT_COLUMNS = [
    "seq",
    "history_date",
    "object_model",
    "object_id",
    "object_repr",
    "history_type",
    "user_id",
    "user_repr",
    "door",
    "change_reason",
    "controller_id",
    "row_hash",
]


class _Echo:
    def write(self, value):
        return value


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(TrailEntry)
class TrailEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "history_date", "object_model", "object_repr", "door"]
    fields = [
        "seq",
        "history_date",
        "object_model",
        "object_id",
        "object_repr",
        "history_type",
        "user_repr",
        "door",
        "change_reason",
        "controller",
        "history_model",
        "history_id",
        "content_hash",
        "prev_hash",
        "row_hash",
        "recorded_at",
    ]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="audit_trailentry_export"),
            path("register-as-of/", view(self.register_as_of_view), name="audit_register_as_of"),
            *super().get_urls(),
        ]

    def _check_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        """The trail: keyset pages of 50, newest first, each entry with its field changes."""
        self._check_view(request)
        form = TrailFilterForm(request.GET or None)
        kwargs = form.selector_kwargs() if form.is_bound and form.is_valid() else {}
        entries, next_cursor = selectors.trail_page(
            selectors.trail_entries(**kwargs), before=request.GET.get("before")
        )
        changes = selectors.trail_changes(entries)
        query = request.GET.copy()
        query.pop("before", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Audit trail",
            "form": form,
            "rows": [(entry, changes.get(entry.pk, [])) for entry in entries],
            "next_query": _with(query, before=next_cursor) if next_cursor else None,
            "first_query": query.urlencode(),
            "is_first_page": "before" not in request.GET,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit/trail.html", context)

    def export_view(self, request):
        """The filtered trail as CSV, streamed row by row: memory stays flat at any length."""
        self._check_view(request)
        form = TrailFilterForm(request.GET or None)
        kwargs = form.selector_kwargs() if form.is_bound and form.is_valid() else {}
        rows = selectors.trail_entries(**kwargs).values_list(*EXPORT_COLUMNS)
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(EXPORT_COLUMNS)
            for row in rows.iterator(chunk_size=2000):
                yield writer.writerow(
                    [v.isoformat() if isinstance(v, datetime.datetime) else v for v in row]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
        return response

    def register_as_of_view(self, request):
        self._check_view(request)
        form = RegisterAsOfForm(request.GET or None)
        snapshot = None
        if form.is_bound and form.is_valid():
            when = start_of(form.cleaned_data["on"] + datetime.timedelta(days=1))
            snapshot = selectors.register_as_of(
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


def _with(query, **params):
    query = query.copy()
    for key, value in params.items():
        query[key] = value
    return query.urlencode()


@admin.register(TrailScrub)
class TrailScrubAdmin(ReadOnlyAdmin):
    list_display = ["entry", "fields", "reason", "scrubbed_by", "scrubbed_at"]
    list_select_related = ["entry", "scrubbed_by"]
    list_filter = ["scrubbed_at"]
    readonly_fields = [
        "entry",
        "fields",
        "reason",
        "scrubbed_by",
        "scrubbed_at",
        "before_content_hash",
        "after_content_hash",
    ]
    show_full_result_count = False


# Customer audits ---------------------------------------------------------------------------


class AuditGrantAddForm(forms.ModelForm):
    """The add form: who, which controller, what, how long; the service invites and grants."""

    auditor_email = forms.EmailField(label="Auditor's email")
    auditor_name = forms.CharField(label="Auditor's name", max_length=200)
    areas = forms.MultipleChoiceField(
        choices=AuditArea.choices, widget=forms.CheckboxSelectMultiple
    )

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
            self._update_errors(error)


@admin.action(description="Revoke selected audits now", permissions=["change"])
def revoke_grants(modeladmin, request, queryset):
    revoked = 0
    for grant in queryset:
        try:
            audit_grant_revoke(grant=grant, by=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, f"{grant}: {' '.join(error.messages)}", messages.ERROR)
        else:
            revoked += 1
    if revoked:
        modeladmin.message_user(request, f"Revoked {revoked} audit(s).", messages.SUCCESS)


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
    actions = [revoke_grants]
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
            by=request.user,
        )
        for field in AuditGrant._meta.concrete_fields:
            setattr(obj, field.attname, getattr(grant, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(AuditAccessLog)
class AuditAccessLogAdmin(ReadOnlyAdmin):
    """Every portal page opened by an auditor under a customer audit; nobody edits it."""

    list_display = ["at", "auditor", "controller", "method", "path", "url_name", "ip"]
    # No controller sidebar: listing every customer would grow with them. One controller's log
    # is ?controller__id__exact=<id>, as linked from its grants.
    list_filter = ["at"]
    search_fields = ["grant__auditor__email", "path"]
    list_select_related = ["grant__auditor", "controller"]
    readonly_fields = ["grant", "controller", "path", "url_name", "method", "at", "ip"]
    show_full_result_count = False

    @admin.display(description="auditor", ordering="grant__auditor__email")
    def auditor(self, obj):
        return obj.grant.auditor.email
