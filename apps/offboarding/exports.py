"""The ZIP that returns all of a controller's data: JSON for machines, CSV for spreadsheets.

Written to a temporary file (spilling to disk past a few megabytes) and then to private storage,
so a large controller's export never sits whole in memory.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils import timezone

from apps.breaches.models import BreachIncident, BreachNotification, BreachUpdate
from apps.controllers.models import Controller, Membership
from apps.core.resources import resource_table_rows, spreadsheet_cell
from apps.dsar.models import DsarTicket, DsarTimelineEntry
from apps.offboarding.selectors import record_tables
from apps.processors.documents import register_pdf
from apps.subprocessors.models import Objection


def _json(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def _csv(header: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return out.getvalue()


def controller_profile(controller: Controller) -> dict:
    return {
        "legal_name": controller.legal_name,
        "registration_number": controller.registration_number,
        "address": controller.address,
        "country": controller.country.code,
        "contact_name": controller.contact_name,
        "contact_email": controller.contact_email,
        "dpo_name": controller.dpo_name,
        "dpo_email": controller.dpo_email,
        "eu_representative": controller.eu_representative,
        "dpa_version": controller.dpa_version,
        "dpa_accepted_on": controller.dpa_accepted_on,
        "status": controller.status,
        "terminated_on": controller.terminated_on,
    }


MEMBERSHIP_COLUMNS = ["email", "full_name", "role", "expires_at", "member_since"]


def memberships(controller: Controller) -> list[dict]:
    # Who has access and in which role; never password hashes, tokens or login times.
    rows = Membership.objects.filter(controller=controller).select_related("user")
    return [
        {
            "email": m.user.email,
            "full_name": m.user.full_name,
            "role": m.role,
            "expires_at": m.expires_at,
            "member_since": m.created_at,
        }
        for m in rows.order_by("user__email")
    ]


TICKET_COLUMNS = [
    "reference",
    "request_type",
    "data_subject_identifier",
    "status",
    "received_at",
    "submitted_at",
    "statutory_due_at",
    "extension_months",
    "extension_reason",
    "due_at",
    "rejection_reason",
    "resolution",
    "closed_at",
]


def dsar_tickets(controller: Controller) -> list[dict]:
    # Only what the customer sees in the portal: internal notes stay ours.
    visible = DsarTimelineEntry.objects.filter(visible_to_customer=True).order_by("created_at")
    tickets = (
        DsarTicket.objects.for_controller(controller)
        .prefetch_related(Prefetch("timeline", queryset=visible, to_attr="visible_timeline"))
        .order_by("submitted_at", "pk")
    )
    result = []
    for ticket in tickets:
        row = {column: getattr(ticket, column) for column in TICKET_COLUMNS}
        row["details"] = ticket.details
        row["timeline"] = [
            {
                "at": entry.created_at,
                "kind": entry.kind,
                "body": entry.body,
                "from_status": entry.from_status,
                "to_status": entry.to_status,
            }
            for entry in ticket.visible_timeline
        ]
        result.append(row)
    return result


def breach_incidents(controller: Controller) -> list[dict]:
    notices = BreachNotification.objects.filter(controller=controller)
    delivered = BreachUpdate.objects.filter(deliveries__controller=controller).order_by("phase")
    incidents = (
        BreachIncident.objects.for_controller(controller)
        .prefetch_related(
            Prefetch("notifications", queryset=notices, to_attr="own_notices"),
            Prefetch("updates", queryset=delivered, to_attr="delivered_updates"),
        )
        .order_by("became_aware_at", "pk")
    )
    return [
        {
            "reference": i.reference,
            "title": i.title,
            "description": i.description,
            "occurred_from": i.occurred_from,
            "occurred_to": i.occurred_to,
            "became_aware_at": i.became_aware_at,
            "likely_consequences": i.likely_consequences,
            "measures_taken": i.measures_taken,
            "measures_proposed": i.measures_proposed,
            "risk_level": i.risk_level,
            "status": i.status,
            "notified_at": [n.sent_at for n in i.own_notices],
            "acknowledged_at": [n.acknowledged_at for n in i.own_notices],
            "updates": [{"phase": u.phase, "text": u.text} for u in i.delivered_updates],
        }
        for i in incidents
    ]


OBJECTION_COLUMNS = [
    "change",
    "reason",
    "status",
    "resolution",
    "consequence",
    "termination_on",
    "raised_at",
    "resolved_at",
]


def objections(controller: Controller) -> list[dict]:
    rows = (
        Objection.objects.filter(controller=controller)
        .select_related("change__subprocessor")
        .order_by("created_at")
    )
    return [
        {
            "change": str(o.change),
            "reason": o.reason,
            "status": o.status,
            "resolution": o.resolution,
            "consequence": o.consequence_text,
            "termination_on": o.termination_on,
            "raised_at": o.created_at,
            "resolved_at": o.resolved_at,
        }
        for o in rows
    ]


def _table_csv(rows: list[dict], columns: list[str]) -> str:
    return _csv(columns, ([row.get(c) for c in columns] for row in rows))


# The steps of an export, as its job counts them: four tables of the customer's own, the four
# tables of its record, the record's PDF, and keeping the ZIP (data_export_build).
EXPORT_STEPS = 10


def _no_progress(done: int, total: int | None, step: str) -> None:
    return None


def data_export_zip(controller: Controller, *, into, progress=_no_progress) -> None:
    """Every file of the export, zipped into the binary file `into`, left at its start.

    `progress(done, total, step)` hears of each step as it starts (a job's progress).
    """
    progress(0, EXPORT_STEPS, "Data-subject requests")
    tickets = dsar_tickets(controller)
    progress(1, EXPORT_STEPS, "Members")
    members = memberships(controller)
    progress(2, EXPORT_STEPS, "Breach notices")
    incidents = breach_incidents(controller)
    progress(3, EXPORT_STEPS, "Objections")
    raised = objections(controller)
    with zipfile.ZipFile(into, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            f"All data we hold for {controller.legal_name}, exported "
            f"{timezone.now():%Y-%m-%d %H:%M} UTC.\n"
            "Each table is in JSON (complete, nested) and CSV (flat).\n",
        )
        archive.writestr("controller.json", _json(controller_profile(controller)))
        archive.writestr("memberships.json", _json(members))
        archive.writestr("memberships.csv", _table_csv(members, MEMBERSHIP_COLUMNS))
        archive.writestr("dsar_tickets.json", _json(tickets))
        archive.writestr("dsar_tickets.csv", _table_csv(tickets, TICKET_COLUMNS))
        archive.writestr("breach_incidents.json", _json(incidents))
        archive.writestr("objections.json", _json(raised))
        archive.writestr("objections.csv", _table_csv(raised, OBJECTION_COLUMNS))
        for done, (name, (resource, queryset)) in enumerate(
            record_tables(controller=controller).items(), start=4
        ):
            progress(done, EXPORT_STEPS, f"Record of processing: {name.replace('_', ' ')}")
            rows = resource_table_rows(resource=resource, queryset=queryset)
            header = next(rows)
            archive.writestr(f"record_of_processing/{name}.csv", _csv(header, rows))
        progress(8, EXPORT_STEPS, "Record of processing: the PDF")
        archive.writestr(
            "record_of_processing/record_of_processing.pdf", register_pdf(controller=controller)
        )
    into.seek(0)
