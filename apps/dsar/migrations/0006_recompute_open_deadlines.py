"""Count the deadlines of open requests anew, as Regulation 1182/71 counts months.

Before, a deadline was the receipt plus one month at the same hour, in UTC. Now it is the end of
the day with the same date one month (or, extended, three) later where the controller is, moved
to the next working day past a weekend, a public holiday or a non-working day. Each open ticket
whose deadline moves gets a history row with the rule as its change reason, written here through
the frozen history model; closed tickets keep the deadlines they were worked to.

The history rows are then marked for the audit trail as the application marks the rows it writes
in bulk (apps.trail.services.trail_mark_rows), so `verify_audit_trail` counts them as its own.
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

from apps.core.legaltime import (
    DEADLINE_RECOMPUTED_REASON,
    DeadlineCalendar,
    country_time_zone,
    holidays_known_for,
    zone_named,
)

OPEN_STATUSES = ("new", "in_progress", "awaiting_customer")


def _calendar(apps, controller, using):
    """The controller's calendar from the frozen models, as apps.dsar.deadlines reads it."""
    NonWorkingDay = apps.get_model("controllers", "NonWorkingDay")
    Processor = apps.get_model("processors", "Processor")
    country = str(controller.country)
    subdivision = controller.holiday_subdivision
    if not holidays_known_for(country):
        first = Processor.objects.using(using).order_by("pk").values_list("country", flat=True)
        country, subdivision = str(first.first() or ""), ""
    extra = {
        d.day: d.name
        for d in NonWorkingDay.objects.using(using).filter(
            Q(country="") | Q(country=str(controller.country))
        )
    }
    return DeadlineCalendar(
        zone=zone_named(controller.time_zone or country_time_zone(str(controller.country))),
        country=country,
        subdivision=subdivision,
        extra_non_working=extra,
    )


def recompute(apps, schema_editor):
    using = schema_editor.connection.alias
    Ticket = apps.get_model("dsar", "DsarTicket")
    HistoricalTicket = apps.get_model("dsar", "HistoricalDsarTicket")
    now = timezone.now()
    calendars = {}
    history_ids = []
    tickets = (
        Ticket.objects.using(using)
        .filter(status__in=OPEN_STATUSES)
        .select_related("controller")
        .order_by("pk")
    )
    for ticket in tickets:
        if ticket.controller_id not in calendars:
            calendars[ticket.controller_id] = _calendar(apps, ticket.controller, using)
        calendar = calendars[ticket.controller_id]
        statutory = calendar.end(ticket.received_at, 1)
        due = calendar.end(ticket.received_at, 1 + ticket.extension_months)
        if (statutory, due) == (ticket.statutory_due_at, ticket.due_at):
            continue
        ticket.statutory_due_at, ticket.due_at, ticket.updated_at = statutory, due, now
        ticket.save(update_fields=["statutory_due_at", "due_at", "updated_at"])
        # A frozen model sends no simple-history signal: the row is written as it would write it.
        row = HistoricalTicket(
            history_date=now,
            history_type="~",
            history_change_reason=DEADLINE_RECOMPUTED_REASON,
            history_user=None,
            **{f.attname: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields},
        )
        row.save(using=using)
        history_ids.append(row.history_id)
    if history_ids:
        # Imported here: the trail's marking runs on the current models, which at this point
        # of the migrations match the tables written above.
        from django.apps import apps as current_apps

        from apps.trail.services import trail_mark_rows

        trail_mark_rows(
            history_model=current_apps.get_model("dsar", "HistoricalDsarTicket"),
            ids=history_ids,
            using=using,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0005_deadline_help_texts"),
        ("controllers", "0003_controller_calendar_and_non_working_days"),
        ("processors", "0001_initial"),
        ("trail", "0002_keyed_chain_and_marks"),
    ]

    # Deadlines counted the old way are not worth restoring: going back leaves them as they are.
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=False)]
