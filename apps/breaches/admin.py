from collections.abc import Callable
from typing import cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.breaches.models import (
    CONTROLLER_WINDOW,
    BreachIncident,
    BreachIncidentQuerySet,
    BreachNotification,
    BreachUpdate,
    BreachUpdateDelivery,
)
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_controllers_fill_proposed,
    breach_controllers_propose,
    breach_incident_create,
    breach_incident_transition,
    breach_notify_start,
    breach_report_pdf_start,
    breach_update_add,
    breach_update_send_start,
)
from apps.core.admin import (
    HistoryTabularInline,
    ReadOnlyAdminMixin,
    RegisterAdmin,
    acting_user,
    job_start_view,
    job_started_message,
    run_per_row,
)
from apps.core.history import history_stamp
from apps.core.legaltime import Clock, format_instant

Status = BreachIncident.Status


def _when(at) -> str:
    """An instant in the reader's zone, the zone named."""
    return format_instant(at, timezone.get_current_timezone())


def _hours(clock: Clock):
    """ "31 h left", or "overdue by 5 h" in red: the breach clocks count hours."""
    if clock.overdue:
        return format_html('<strong style="color:#ba2121">{}</strong>', clock.hours_label)
    return clock.hours_label


class OverdueFilter(admin.SimpleListFilter):
    title = "notification target"
    parameter_name = "target"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue: target passed, a controller not notified"),
            ("running", "Running: a controller still to be notified"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "running":
            return queryset.notice_owed()
        return queryset


class ControllerWindowFilter(admin.SimpleListFilter):
    """Incidents whose notices a controller has not acknowledged, or whose 72 hours still run."""

    title = "controllers' 72 hours"
    parameter_name = "window"

    def lookups(self, request, model_admin):
        return [
            ("running", "Running: a controller's 72 hours since our notice"),
            ("unacknowledged", "A notice not acknowledged"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "running":
            notices = BreachNotification.objects.window_running()
        elif self.value() == "unacknowledged":
            notices = BreachNotification.objects.unacknowledged()
        else:
            return queryset
        return queryset.filter(pk__in=notices.values("incident_id"))


class BreachNotificationInline(ReadOnlyAdminMixin, HistoryTabularInline):
    """Rows come from confirming the affected controllers, and change only through services."""

    model = BreachNotification
    verbose_name = "affected controller"
    verbose_name_plural = "affected controllers (confirmed) and our notices"
    readonly_fields = (
        "controller",
        "channel",
        "sent_at",
        "controller_window",
        "acknowledged_at",
        "acknowledged_by",
        "report",
    )
    fields = readonly_fields
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("incident", "controller", "acknowledged_by")
        )

    @admin.display(description="controller's 72 hours end")
    def controller_window(self, obj):
        clock = obj.window_clock() if obj.pk else None
        if clock is None:
            return "when notified"
        return format_html("{} ({})", _when(clock.due_at), _hours(clock))

    @admin.display(description="report")
    def report(self, obj):
        if obj.pk is None:
            return "-"  # a row only a tampered form posts: there is no notice to report on
        url = reverse(
            "admin:breaches_breachincident_report", args=[obj.incident_id, obj.controller_id]
        )
        return format_html('<a href="{}">PDF</a>', url)


class BreachUpdateInline(HistoryTabularInline):
    model = BreachUpdate
    verbose_name = "update (Art. 33(4))"
    verbose_name_plural = "updates in phases (Art. 33(4)): the timeline"
    fields = ["phase", "text", "created_by", "created_at", "sent_to"]
    readonly_fields = ["phase", "created_by", "created_at", "sent_to"]
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("incident", "created_by")
            .prefetch_related(
                Prefetch(
                    "deliveries",
                    queryset=BreachUpdateDelivery.objects.select_related("controller"),
                )
            )
        )

    # What was told is not rewritten: new phases are added, old ones stay as they were.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="sent to")
    def sent_to(self, obj):
        if obj.pk is None:
            return "-"
        names = [d.controller.legal_name for d in obj.deliveries.all()]
        return ", ".join(names) or "not sent yet"


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[BreachIncident],
    label: str,
    service: Callable[[BreachIncident], object],
) -> None:
    run_per_row(modeladmin, request, queryset, service, done=f"{label}: {{count}} incident(s).")


def _transition_action(to: str, label: str) -> Callable[..., None]:
    @admin.action(description=f"{label} selected incidents", permissions=["change"])
    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[BreachIncident]
    ) -> None:
        _run(
            modeladmin,
            request,
            queryset,
            label,
            lambda i: breach_incident_transition(incident=i, to=to, by=acting_user(request)),
        )

    action.__name__ = f"mark_{to}"
    return action


@admin.register(BreachIncident)
class BreachIncidentAdmin(RegisterAdmin):
    # The clocks and the status lead: at 1280 px they are what a reader must see first.
    list_display = [
        "reference",
        "target_clock",
        "controllers_notified",
        "status",
        "risk_level",
        "title",
        "notify_target",
        "first_controller_window",
        "owner",
        "became_aware_at",
    ]
    list_title = "Breach incidents"
    empty_list_messages = {
        "target=overdue": (
            "No incident is past our notification target: every affected controller was told "
            "in time."
        ),
        "target=running": "No incident owes a controller a notice.",
        "window=running": "No controller is within its 72 hours of one of our notices.",
        "window=unacknowledged": "Every controller has acknowledged our notices.",
        "": "No breach incidents recorded. Incidents appear here, newest first.",
    }
    list_filter = [OverdueFilter, ControllerWindowFilter, "status", "risk_level"]
    search_fields = ["reference", "title", "description"]
    list_select_related = ["owner"]
    # The owner is a plain list of staff (limit_choices_to): an autocomplete would search users,
    # which the Security Lead may not read.
    autocomplete_fields = [
        "affected_subprocessors",
        "affected_activities",
        "affected_controllers",
    ]
    filter_horizontal = ["data_categories", "data_subject_categories"]
    readonly_fields = [
        "reference",
        "status",
        "notify_target",
        "target_clock",
        "proposed_controllers",
        "controllers_confirmed_at",
        "controllers_confirmed_by",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [BreachNotificationInline, BreachUpdateInline]
    fieldsets = (
        (None, {"fields": ("reference", "title", "status", "risk_level", "owner")}),
        (
            "When",
            {
                "fields": (
                    "occurred_from",
                    "occurred_to",
                    "became_aware_at",
                    "notify_target",
                    "target_clock",
                )
            },
        ),
        (
            "(a) Nature, data and people concerned",
            {
                "fields": (
                    ("nature_confidentiality", "nature_integrity", "nature_availability"),
                    "description",
                    "data_categories",
                    "data_subject_categories",
                    "approx_data_subjects",
                    "approx_records",
                )
            },
        ),
        ("(b) Contact point", {"fields": ("contact_point",)}),
        ("(c) Likely consequences", {"fields": ("likely_consequences",)}),
        ("(d) Measures", {"fields": ("measures_taken", "measures_proposed")}),
        (
            "Affected controllers",
            {
                "fields": (
                    "affected_subprocessors",
                    "affected_activities",
                    "proposed_controllers",
                    "affected_controllers",
                    "controllers_confirmed_at",
                    "controllers_confirmed_by",
                )
            },
        ),
        ("Record", {"fields": ("closed_at", "created_at", "updated_at")}),
    )
    actions = [
        "fill_proposed_controllers",
        "confirm_controllers",
        "notify_controllers",
        "send_latest_update",
        _transition_action(Status.CONTAINED, "Mark contained"),
        _transition_action(Status.RESOLVED, "Mark resolved"),
        _transition_action(Status.CLOSED, "Close"),
        _transition_action(Status.OPEN, "Reopen"),
    ]

    def get_queryset(self, request):
        # A select_related here turns off the changelist's list_select_related: name both.
        queryset = cast(BreachIncidentQuerySet, super().get_queryset(request))
        return queryset.with_clocks().select_related("owner", "controllers_confirmed_by")

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    # Clocks. The changelist reads the annotations of with_clocks(): no query per row.
    @admin.display(description="notify all by", ordering="became_aware_at")
    def notify_target(self, obj):
        return _when(obj.notify_target_at) if obj.became_aware_at else "-"

    @admin.display(description="time left")
    def target_clock(self, obj):
        if obj.pk is None:
            return "-"
        if obj.controllers_confirmed_at and obj.notified_count == obj.affected_count:
            return format_html('<span style="color:#2a7d2a">{}</span>', "all notified")
        return _hours(obj.target_clock())

    @admin.display(description="notified")
    def controllers_notified(self, obj):
        if obj.controllers_confirmed_at is None:
            return "not confirmed"
        return f"{obj.notified_count}/{obj.affected_count}"

    @admin.display(description="first controller's 72 h end")
    def first_controller_window(self, obj):
        if obj.first_notified_at is None:
            return "-"
        return _when(obj.first_notified_at + CONTROLLER_WINDOW)

    @admin.display(description="proposed from subprocessors and activities")
    def proposed_controllers(self, obj):
        if obj.pk is None:
            return "-"
        proposed = breach_controllers_propose(incident=obj)
        return format_html_join(", ", "{}", ((c.legal_name,) for c in proposed)) or "none"

    # Writes go through the services.
    def save_model(self, request, obj, form, change):
        if change:
            history_stamp(obj, by=acting_user(request), reason="breaches.incident.edited")
            super().save_model(request, obj, form, change)
        else:
            breach_incident_create(incident=obj, by=acting_user(request))

    def save_formset(self, request, form, formset, change):
        if formset.model is not BreachUpdate:
            return super().save_formset(request, form, formset, change)
        for update in formset.save(commit=False):
            breach_update_add(incident=form.instance, text=update.text, by=acting_user(request))
        return None

    @admin.action(
        description="Add proposed controllers (from subprocessors and activities)",
        permissions=["change"],
    )
    def fill_proposed_controllers(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Proposed controllers added",
            lambda i: breach_controllers_fill_proposed(incident=i, by=acting_user(request)),
        )

    @admin.action(description="Confirm affected controllers", permissions=["change"])
    def confirm_controllers(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Affected controllers confirmed",
            lambda i: breach_controllers_confirm(incident=i, by=acting_user(request)),
        )

    @admin.action(
        description="Notify confirmed controllers not yet notified", permissions=["change"]
    )
    def notify_controllers(self, request, queryset):
        # A job per incident: the notices go out in the background, followed on its page.
        def notify(incident):
            job = breach_notify_start(incident=incident, by=acting_user(request))
            job_started_message(request, job, f"{incident.reference}: notices queued.")

        _run(self, request, queryset, "Notices queued", notify)

    @admin.action(
        description="Send the latest update to notified controllers", permissions=["change"]
    )
    def send_latest_update(self, request, queryset):
        def send(incident):
            update = incident.updates.order_by("-phase").first()
            if update is None:
                raise ValidationError("There is no update to send.")
            job = breach_update_send_start(update=update, by=acting_user(request))
            job_started_message(request, job, f"{incident.reference}: update queued.")

        _run(self, request, queryset, "Update sent", send)

    # The report a controller files with its supervisory authority, for staff to download.
    def get_urls(self):
        return [
            path(
                "<path:object_id>/report/<int:controller_id>/",
                self.admin_site.admin_view(self.report_view),
                name="breaches_breachincident_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request, object_id, controller_id):
        incident = self.get_object(request, object_id)
        if incident is None:
            raise Http404
        if not self.has_view_permission(request, incident):
            raise PermissionDenied
        notification = get_object_or_404(
            incident.notifications.select_related("controller"), controller_id=controller_id
        )
        controller = notification.controller
        # Made by a worker: this page starts the job and opens its page, which links the PDF.
        return job_start_view(
            self,
            request,
            title=f"Report of {incident.reference} for {controller} (PDF)",
            text=(
                f"The report of {incident.reference} as {controller} files it with its "
                "supervisory authority (Art. 33(3) items, our notice, the updates sent to it)."
            ),
            start=lambda: breach_report_pdf_start(
                incident=incident, controller=controller, by=acting_user(request)
            ),
        )
