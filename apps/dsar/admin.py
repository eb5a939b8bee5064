import re
from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.admin import (
    HistoryTabularInline,
    ReadOnlyAdminMixin,
    RegisterAdmin,
    acting_user,
    copy_saved_fields,
    run_per_row,
)
from apps.core.history import history_save
from apps.core.legaltime import DUE_SOON_DAYS, format_day, format_instant
from apps.dsar.erasure import erasure_proof_matches
from apps.dsar.forms import (
    AssignActionForm,
    DsarPropagationInlineForm,
    DsarTicketAdminForm,
    ErasureCheckForm,
)
from apps.dsar.models import (
    DsarAttachment,
    DsarPause,
    DsarPropagation,
    DsarTicket,
    DsarTimelineEntry,
)
from apps.dsar.services import (
    dsar_attachment_add,
    dsar_attachment_can_download,
    dsar_propagation_update,
    dsar_reply_add,
    dsar_ticket_assign,
    dsar_ticket_extend,
    dsar_ticket_submit,
    dsar_ticket_transition,
)
from apps.dsar.views import attachment_response

Status = DsarTicket.Status


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("week", f"Due within {DUE_SOON_DAYS} days"),
            ("open", "All open"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "week":
            return queryset.due_within(DUE_SOON_DAYS)
        if self.value() == "open":
            return queryset.open()
        return queryset


class PropagationFilter(admin.SimpleListFilter):
    """Tickets whose erasure, rectification or restriction has still to reach a subprocessor."""

    title = "propagation to subprocessors"
    parameter_name = "propagation"

    def lookups(self, request, model_admin):
        return [("pending", "Still to reach a subprocessor")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            pending = DsarPropagation.objects.filter(status=DsarPropagation.Status.PENDING)
            return queryset.filter(pk__in=pending.values("ticket_id"))
        return queryset


class ReadOnlyInline(ReadOnlyAdminMixin, HistoryTabularInline):
    show_change_link = False


class DsarPropagationInline(HistoryTabularInline):
    model = DsarPropagation
    form = DsarPropagationInlineForm
    fields = ["subprocessor", "status", "note", "updated_at"]
    readonly_fields = ["subprocessor", "updated_at"]
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False  # rows come from the register when the ticket is made

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subprocessor")


class DsarTimelineInline(ReadOnlyInline):
    model = DsarTimelineEntry
    readonly_fields = (
        "created_at",
        "kind",
        "author",
        "from_status",
        "to_status",
        "visible_to_customer",
        "body",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        # The ticket too: each row's label names it.
        return super().get_queryset(request).select_related("author", "ticket")


class DsarPauseInline(ReadOnlyInline):
    model = DsarPause
    readonly_fields = ("started_at", "ended_at")
    fields = readonly_fields


class DsarAttachmentInline(ReadOnlyInline):
    model = DsarAttachment
    readonly_fields = (
        "download",
        "content_type",
        "size",
        "visible_to_customer",
        "uploaded_by",
        "created_at",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description="file")
    def download(self, obj):
        if obj.pk is None:
            return "-"  # a row only a tampered form posts: there is no file to link
        url = reverse("admin:dsar_dsarticket_attachment", args=[obj.ticket_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


# A whole ticket reference as reference_next() writes it: prefix, year, number (seed_scale's
# carry a letter).
WHOLE_REFERENCE = re.compile(r"[A-Za-z]+-[0-9]{4}-[A-Za-z]?[0-9]+")


@admin.register(DsarTicket)
class DsarTicketAdmin(RegisterAdmin):
    form = DsarTicketAdminForm
    action_form = AssignActionForm
    # The deadline and the status lead: at 1280 px they are what a reader must see first.
    list_display = [
        "reference",
        "days_left",
        "status",
        "request_type",
        "controller",
        "assignee",
        "due_at",
        "response_target_at",
    ]
    list_title = "Data-subject requests"
    empty_list_messages = {
        "deadline=overdue": "No overdue requests: every open request is within its deadline.",
        "deadline=week": "No open request falls due in the next few days.",
        "deadline=open": "No open requests: every request has been answered.",
        "propagation=pending": (
            "No propagation pending: every erasure, rectification and restriction has reached "
            "its subprocessors."
        ),
        "": "No data-subject requests yet. Requests customers pass on appear here, by deadline.",
    }
    list_filter = [
        DeadlineFilter,
        PropagationFilter,
        "status",
        "request_type",
        # Staff only (the field's limit_choices_to): "related only" would scan every ticket
        # for the distinct assignees, and list thousands of controllers. A controller's
        # tickets are `?controller__id__exact=<id>`, linked from its page.
        ("assignee", admin.RelatedFieldListFilter),
    ]
    list_select_related = ["controller", "assignee"]
    # Both served by an index at any size: a trigram index for part of a reference (migration
    # 0003_search_trigram, PostgreSQL), an index of the upper-cased subject identifier for the
    # whole identifier in any case (0008). A search across the join to controllers could use
    # neither. A whole reference is looked up by equality (get_search_results).
    search_fields = ["reference", "=data_subject_identifier"]
    ordering = ["due_at", "reference"]

    def get_search_results(self, request, queryset, search_term):
        """A term shaped like a whole reference ("DSAR-2026-0042", any case) finds that ticket
        through the reference's unique index, or a subject identified by that text; any other
        term searches as `search_fields` say.

        With a million tickets, "part of a reference" matches the trigrams every reference
        shares: PostgreSQL then reads the queue's due-date index from the start to fill the
        page, four seconds for one row; the equality reads one index entry."""
        term = search_term.strip()
        if WHOLE_REFERENCE.fullmatch(term):
            found = queryset.filter(
                Q(reference=term.upper()) | Q(data_subject_identifier__iexact=term)
            )
            return found, False
        return super().get_search_results(request, queryset, search_term)
    autocomplete_fields = ["controller"]
    actions = [
        "assign_to_me",
        "assign_to_chosen",
        "move_to_in_progress",
        "move_to_awaiting_customer",
        "move_to_completed",
        "move_to_withdrawn",
    ]
    inlines = [DsarPropagationInline, DsarTimelineInline, DsarPauseInline, DsarAttachmentInline]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "controller",
                    "request_type",
                    "data_subject_identifier",
                    "received_at",
                    "details",
                ]
            },
        )
    ]
    readonly_on_change = [
        "reference",
        "controller",
        "request_type",
        "data_subject_identifier",
        "details",
        "received_at",
        "submitted_at",
        "submitted_by",
        "status",
        "rejection_reason",
        "statutory_deadline",
        "extension_window",
        "extension_months",
        "extension_reason",
        "extended_at",
        "deadline",
        "days_left",
        "response_target_at",
        "closed_at",
        "scrubbed_at",
        "scrubbed_by",
        "erasure_proof",
    ]

    # --- pages ----------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "reference",
                        "controller",
                        "request_type",
                        "data_subject_identifier",
                        "details",
                        "status",
                        "rejection_reason",
                        "assignee",
                        "resolution",
                    ]
                },
            ),
            (
                "Clocks",
                {
                    "fields": [
                        "received_at",
                        "submitted_at",
                        "submitted_by",
                        "statutory_deadline",
                        "extension_window",
                        "extension_months",
                        "extension_reason",
                        "extended_at",
                        "deadline",
                        "days_left",
                        "response_target_at",
                        "closed_at",
                        "scrubbed_at",
                        "scrubbed_by",
                        "erasure_proof",
                    ]
                },
            ),
        ]
        # Form-only fields exist only where the user may act: a read-only page lists none.
        if self.has_change_permission(request, obj):
            fieldsets += [
                (
                    "Work the request",
                    {
                        "fields": [
                            "move_to",
                            "move_rejection_reason",
                            "move_note",
                            "extend_to_months",
                            "extend_reason",
                            "reply_body",
                            "reply_visible_to_customer",
                            "attachment_upload",
                            "attachment_visible_to_customer",
                        ]
                    },
                )
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_on_change

    def get_urls(self):
        extra = [
            path(
                "<path:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="dsar_dsarticket_attachment",
            ),
            path(
                "<path:object_id>/erasure-check/",
                self.admin_site.admin_view(self.erasure_check_view),
                name="dsar_dsarticket_erasure_check",
            ),
        ]
        return extra + super().get_urls()

    @admin.display(description="erasure proof")
    def erasure_proof(self, obj):
        if not obj.erased_identifier_hash:
            return "-"
        key_id, _, digest = obj.erased_identifier_hash.partition(":")
        return format_html(
            "Identifier erased; keyed hash <code>{}</code> (HMAC-SHA256, chain key {}). "
            '<a href="{}">Check an identifier against it</a>',
            digest,
            key_id,
            reverse("admin:dsar_dsarticket_erasure_check", args=[obj.pk]),
        )

    def erasure_check_view(self, request, object_id):
        """Whether a given identifier is the one an erasure removed, from its keyed hash alone.
        What is typed is compared and forgotten: no row, no log line keeps it."""
        ticket = get_object_or_404(DsarTicket, pk=object_id)
        if not self.has_view_permission(request, ticket):
            raise PermissionDenied
        if not ticket.erased_identifier_hash:
            raise Http404("This ticket's identifier has not been erased.")
        form = ErasureCheckForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = erasure_proof_matches(
                proof=ticket.erased_identifier_hash, identifier=form.cleaned_data["identifier"]
            )
            form = ErasureCheckForm()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Check an identifier against the erasure of {ticket}",
            "opts": self.model._meta,
            "original": ticket,
            "form": form,
            "result": result,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/dsar/dsarticket/erasure_check.html", context)

    def attachment_view(self, request, object_id, attachment_id):
        attachment = get_object_or_404(
            DsarAttachment.objects.select_related("ticket"), pk=attachment_id, ticket_id=object_id
        )
        if not dsar_attachment_can_download(user=request.user, attachment=attachment):
            raise PermissionDenied
        return attachment_response(attachment)

    # --- writes: every one through a service ----------------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            ticket = dsar_ticket_submit(
                controller=data["controller"],
                submitted_by=acting_user(request),
                request_type=data["request_type"],
                data_subject_identifier=data["data_subject_identifier"],
                received_at=data["received_at"],
                details=data.get("details") or "",
            )
            copy_saved_fields(obj, ticket)
            return
        stored = DsarTicket.objects.get(pk=obj.pk)
        user = request.user
        if "assignee" in form.changed_data and stored.is_open:
            dsar_ticket_assign(ticket=stored, assignee=data.get("assignee"), by=user)
        if "resolution" in form.changed_data:
            stored.resolution = data.get("resolution") or ""
            history_save(
                stored,
                by=user,
                reason="dsar.ticket.resolution",
                update_fields=["resolution", "updated_at"],
            )
        if data.get("reply_body"):
            dsar_reply_add(
                ticket=stored,
                author=user,
                body=data["reply_body"],
                visible_to_customer=data.get("reply_visible_to_customer", False),
            )
        if data.get("attachment_upload"):
            dsar_attachment_add(
                ticket=stored,
                uploaded_by=user,
                upload=data["attachment_upload"],
                visible_to_customer=data.get("attachment_visible_to_customer", False),
            )
        if data.get("extend_to_months"):
            dsar_ticket_extend(
                ticket=stored,
                months=data["extend_to_months"],
                reason=data["extend_reason"],
                by=user,
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The ticket form's own data went through services in save_model; the inlines follow,
        # and the status move comes last, after propagation rows were updated on the same page.
        for formset in formsets:
            # Nothing is saved by the formsets themselves; the admin's change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is DsarPropagation:
                for inline_form in formset.forms:
                    if inline_form.has_changed():
                        dsar_propagation_update(
                            propagation=DsarPropagation.objects.get(pk=inline_form.instance.pk),
                            status=inline_form.cleaned_data["status"],
                            note=inline_form.cleaned_data.get("note") or "",
                            by=acting_user(request),
                        )
        data = form.cleaned_data
        if change and data.get("move_to"):
            try:
                dsar_ticket_transition(
                    ticket=form.instance,
                    to=data["move_to"],
                    by=acting_user(request),
                    rejection_reason=data.get("move_rejection_reason") or "",
                    note=data.get("move_note") or "",
                )
            except ValidationError as error:
                # Checked on the form already; if the ticket changed meanwhile, say so.
                self.message_user(request, "; ".join(error.messages), messages.ERROR)

    # --- list -----------------------------------------------------------------------------

    # Every clock is the ticket's (apps.core.legaltime.clock): days are counted where the
    # controller is, so this page, the list and the portal say the same.
    @admin.display(description="days left")
    def days_left(self, obj):
        if obj.pk is None:
            return "-"
        if not obj.is_open:
            return obj.get_status_display()
        clock = obj.clock()
        if clock.overdue:
            return format_html('<strong style="color:#ba2121">{}</strong>', clock.days_label)
        return clock.days_label

    def _deadline(self, at, zone) -> str:
        """In the reader's zone, and the day it ends where the controller is."""
        return (
            f"{format_instant(at, timezone.get_current_timezone())} (the end of "
            f"{format_day(at.astimezone(zone).date())} in {zone.key})"
        )

    @admin.display(description="statutory due (one month)")
    def statutory_deadline(self, obj):
        return self._deadline(obj.statutory_due_at, obj.zone) if obj.pk else "-"

    @admin.display(description="due (with extension)")
    def deadline(self, obj):
        return self._deadline(obj.due_at, obj.zone) if obj.pk else "-"

    @admin.display(description="extension window")
    def extension_window(self, obj):
        if obj.pk is None:
            return "-"
        clock = obj.extension_clock()
        if clock.overdue:
            return "closed: the first month is over"
        return f"open ({clock.days_label}); the customer tells the data subject by its end"

    # --- actions --------------------------------------------------------------------------

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[DsarTicket],
        verb: str,
        work: Callable[[DsarTicket], object],
    ) -> None:
        run_per_row(
            self,
            request,
            queryset.select_related("controller", "assignee"),
            work,
            done=f"{{count}} ticket(s) {verb}.",
        )

    @admin.action(description="Assign selected tickets to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            "assigned to you",
            lambda t: dsar_ticket_assign(ticket=t, assignee=request.user, by=acting_user(request)),
        )

    @admin.action(
        description="Assign selected tickets to the chosen staff user", permissions=["change"]
    )
    def assign_to_chosen(self, request, queryset):
        form = AssignActionForm(request.POST)
        assignee = form.fields["assignee"].clean(request.POST.get("assignee") or None)
        if assignee is None:
            self.message_user(request, "Choose whom to assign the tickets to.", messages.ERROR)
            return
        self._each(
            request,
            queryset,
            f"assigned to {assignee}",
            lambda t: dsar_ticket_assign(ticket=t, assignee=assignee, by=acting_user(request)),
        )

    def _move(self, request: HttpRequest, queryset: QuerySet[DsarTicket], to: str) -> None:
        self._each(
            request,
            queryset,
            f"moved to {Status(to).label.lower()}",
            lambda t: dsar_ticket_transition(ticket=t, to=to, by=acting_user(request)),
        )

    @admin.action(description="Move to in progress", permissions=["change"])
    def move_to_in_progress(self, request, queryset):
        self._move(request, queryset, Status.IN_PROGRESS)

    @admin.action(
        description="Move to awaiting customer (pauses our clock)", permissions=["change"]
    )
    def move_to_awaiting_customer(self, request, queryset):
        self._move(request, queryset, Status.AWAITING_CUSTOMER)

    @admin.action(description="Move to completed", permissions=["change"])
    def move_to_completed(self, request, queryset):
        self._move(request, queryset, Status.COMPLETED)

    @admin.action(description="Move to withdrawn", permissions=["change"])
    def move_to_withdrawn(self, request, queryset):
        self._move(request, queryset, Status.WITHDRAWN)
