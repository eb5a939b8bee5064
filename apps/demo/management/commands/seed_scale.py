"""A large, realistic data set for load tests: thousands of customers, their requests and breaches.

Everything goes in through simple-history's bulk helpers, so every row has its history, and the
history rows are then marked and chained into the audit trail in chunks (`trail_bulk_load`).
Only inserts reach the history tables (their guards refuse anything else). Not idempotent: run
it once on a database that has the demo (it runs `seed_demo` first).
"""

import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.models import User
from apps.breaches.models import BreachIncident, BreachNotification
from apps.controllers.models import Controller, Membership
from apps.core.history import history_backdate, history_stamp
from apps.dsar.models import DsarTicket, DsarTimelineEntry
from apps.notifications.models import Notification
from apps.trail.services import trail_bulk_load

BATCH = 2000
# bulk_update writes a CASE over the batch for each field: small batches keep it linear.
UPDATE_BATCH = 250
COUNTRIES = ["DE", "FR", "NL", "GB", "US", "ES", "IT", "SE", "PL", "IE", "CA", "JP"]
TIMELINE_REPLIES = [
    "We have started on the request and will confirm each system once done.",
    "Identity verified through the customer; proceeding.",
    "The subject's records were located in the primary database and the file store.",
    "Export prepared and handed to the customer through the portal.",
    "Erasure confirmed in every system that held the data.",
]


class Command(BaseCommand):
    help = (
        "Add a large data set (default: 2,000 controllers, 100,000 DSAR tickets with timelines, "
        "2,000 breach incidents with notifications, over 1,000,000 history rows) and chain it "
        "into the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--controllers", type=int, default=2000)
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--incidents", type=int, default=2000)
        parser.add_argument("--timeline-per-ticket", type=int, default=5)
        parser.add_argument("--notices-per-incident", type=int, default=20)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        if Controller.objects.filter(legal_name__startswith="Scale Customer ").exists():
            raise CommandError("seed_scale already ran on this database; use a fresh one.")
        self.rng = random.Random(options["seed"])
        self.now = timezone.now()
        started = time.monotonic()
        call_command("seed_demo", stdout=self.stdout)
        self.staff = list(User.objects.filter(is_staff=True).order_by("pk"))
        if not self.staff:
            raise CommandError("seed_demo made no staff users.")

        with trail_bulk_load() as chained:
            with transaction.atomic():
                controllers, users = self.controllers(options["controllers"])
            self.step("controllers, users and memberships", started)
            with transaction.atomic():
                tickets = self.tickets(controllers, users, options["tickets"])
            self.step("DSAR tickets", started)
            with transaction.atomic():
                self.timelines(tickets, options["timeline_per_ticket"])
            self.step("timelines", started)
            with transaction.atomic():
                self.outbox(tickets)
            self.step("outbox", started)
            with transaction.atomic():
                self.incidents(controllers, options["incidents"], options["notices_per_incident"])
            self.step("breach incidents", started)
        sealed = chained[0]
        self.step(f"audit trail ({sealed} history rows chained)", started)
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_scale: {len(controllers)} controllers, {len(tickets)} tickets, "
                f"{options['incidents']} incidents, {sealed} history rows chained in "
                f"{time.monotonic() - started:.0f} s."
            )
        )

    def step(self, what, started):
        self.stdout.write(f"  {time.monotonic() - started:7.1f} s  {what}")

    def moment(self, days_back: float) -> datetime:
        return self.now - timedelta(days=days_back, seconds=self.rng.randrange(86_400))

    # --- customers ------------------------------------------------------------------------

    def controllers(self, n: int):
        controllers = []
        for i in range(1, n + 1):
            c = Controller(
                legal_name=f"Scale Customer {i:05d} Ltd",
                registration_number=f"SC{i:07d}",
                address=f"{i} Market Street\nCity {i % 97}",
                country=self.rng.choice(COUNTRIES),
                contact_name=f"Contact {i}",
                contact_email=f"privacy@customer{i:05d}.example",
                dpo_name=f"DPO {i}",
                dpo_email=f"dpo@customer{i:05d}.example",
                dpa_version="2026-01",
                dpa_accepted_on=(self.now - timedelta(days=self.rng.randrange(30, 700))).date(),
            )
            history_backdate(c, at=self.moment(self.rng.randrange(300, 730)))
            controllers.append(c)
        controllers = bulk_create_with_history(controllers, Controller, batch_size=BATCH)
        # One password hash for every customer user: hashing 2,000 times would take minutes.
        password = make_password("scale-customer-2026")
        users = [
            User(email=f"user@customer{i:05d}.example", full_name=f"Customer User {i}")
            for i in range(1, n + 1)
        ]
        for u in users:
            u.password = password
        users = bulk_create_with_history(users, User, batch_size=BATCH)
        memberships = [
            Membership(user=u, controller=c, role=Membership.Role.ADMIN)
            for u, c in zip(users, controllers, strict=True)
        ]
        bulk_create_with_history(memberships, Membership, batch_size=BATCH)
        return controllers, users

    # --- data-subject requests -------------------------------------------------------------

    def tickets(self, controllers, users, n: int):
        target = timedelta(days=settings.DSAR_RESPONSE_TARGET_DAYS)
        types = [t.value for t in DsarTicket.RequestType]
        tickets = []
        for i in range(1, n + 1):
            k = self.rng.randrange(len(controllers))
            # Spread over two years, most of them closed; the newest still open.
            received = self.moment(self.rng.uniform(0, 730) ** 1.0)
            submitted = received + timedelta(hours=self.rng.randrange(1, 72))
            t = DsarTicket(
                reference=f"DSAR-{received.year}-S{i:06d}",
                controller=controllers[k],
                request_type=self.rng.choice(types),
                data_subject_identifier=f"app-user-{self.rng.randrange(10**9):09d}",
                details="Passed on from the customer's support desk.",
                received_at=received,
                submitted_at=min(submitted, self.now),
                submitted_by=users[k],
                response_target_at=min(submitted, self.now) + target,
                status=DsarTicket.Status.NEW,
            )
            t.compute_due_dates()
            history_backdate(t, at=t.submitted_at)
            history_stamp(t, by=users[k], reason="dsar.ticket.submitted")
            tickets.append(t)
        tickets = bulk_create_with_history(tickets, DsarTicket, batch_size=BATCH)

        started = []
        for t in tickets:
            if self.rng.random() < 0.97:
                t.status = DsarTicket.Status.IN_PROGRESS
                t.assignee = self.rng.choice(self.staff)
                history_backdate(t, at=t.submitted_at + timedelta(hours=self.rng.randrange(1, 48)))
                history_stamp(t, by=t.assignee, reason="dsar.ticket.in_progress")
                started.append(t)
        bulk_update_with_history(
            started, DsarTicket, ["status", "assignee"], batch_size=UPDATE_BATCH
        )
        closed = []
        for t in started:
            age = (self.now - t.submitted_at).days
            if age > 20 or (age > 5 and self.rng.random() < 0.5):
                t.status = self.rng.choices(
                    [DsarTicket.Status.COMPLETED, DsarTicket.Status.REJECTED], [0.93, 0.07]
                )[0]
                if t.status == DsarTicket.Status.REJECTED:
                    t.rejection_reason = DsarTicket.RejectionReason.IDENTITY_UNVERIFIABLE
                t.resolution = "Answered within the deadline."
                t.closed_at = min(
                    t.submitted_at + timedelta(days=self.rng.randrange(2, 20)), self.now
                )
                history_backdate(t, at=t.closed_at)
                history_stamp(t, by=None, reason=f"dsar.ticket.{t.status}")
                closed.append(t)
        bulk_update_with_history(
            closed,
            DsarTicket,
            ["status", "rejection_reason", "resolution", "closed_at"],
            batch_size=UPDATE_BATCH,
        )
        return tickets

    def timelines(self, tickets, per_ticket: int):
        batch = []
        for t in tickets:
            when = t.submitted_at
            for j in range(self.rng.randrange(max(1, per_ticket - 2), per_ticket + 3)):
                when = min(when + timedelta(hours=self.rng.randrange(1, 60)), self.now)
                visible = j % 2 == 1
                entry = DsarTimelineEntry(
                    ticket=t,
                    kind=DsarTimelineEntry.Kind.REPLY if visible else DsarTimelineEntry.Kind.NOTE,
                    author=t.assignee,
                    body=self.rng.choice(TIMELINE_REPLIES),
                    visible_to_customer=visible,
                    created_at=when,
                )
                history_backdate(entry, at=when, by=t.assignee)
                batch.append(entry)
            if len(batch) >= 20_000:
                bulk_create_with_history(batch, DsarTimelineEntry, batch_size=BATCH)
                batch = []
        if batch:
            bulk_create_with_history(batch, DsarTimelineEntry, batch_size=BATCH)

    def outbox(self, tickets):
        ticket_type = ContentType.objects.get_for_model(DsarTicket)
        messages = []
        for t in tickets:
            m = Notification(
                kind="dsar.reply",
                recipient=f"privacy@customer{t.controller.legal_name[15:20]}.example",
                subject=f"{t.reference}: a reply to your request",
                body="There is a new reply on the request in the portal.",
                status=Notification.Status.PENDING,
                next_attempt_at=t.submitted_at,
                related_type=ticket_type,
                related_id=str(t.pk),
            )
            history_backdate(m, at=t.submitted_at)
            messages.append(m)
        messages = bulk_create_with_history(messages, Notification, batch_size=BATCH)
        for m in messages:
            m.status = Notification.Status.SENT
            m.attempts = 1
            m.sent_at = m.next_attempt_at + timedelta(seconds=self.rng.randrange(5, 120))
            history_backdate(m, at=m.sent_at)
        bulk_update_with_history(
            messages, Notification, ["status", "attempts", "sent_at"], batch_size=UPDATE_BATCH
        )

    # --- breaches ----------------------------------------------------------------------------

    def incidents(self, controllers, n: int, per_incident: int):
        incidents = []
        for i in range(1, n + 1):
            aware = self.moment(self.rng.uniform(0, 730))
            inc = BreachIncident(
                reference=f"INC-{aware.year}-S{i:05d}",
                title=f"Misconfigured access on storage bucket {i}",
                description="A storage bucket allowed listing by any authenticated tenant.",
                occurred_from=aware - timedelta(hours=self.rng.randrange(1, 200)),
                occurred_to=aware - timedelta(hours=1),
                became_aware_at=aware,
                nature_confidentiality=True,
                approx_data_subjects=self.rng.randrange(10, 50_000),
                approx_records=self.rng.randrange(10, 500_000),
                contact_point="security@calljmp.example",
                likely_consequences="Exposure of email addresses to other tenants.",
                measures_taken="Access revoked, keys rotated.",
                risk_level=self.rng.choice(["low", "medium", "high"]),
                status=BreachIncident.Status.OPEN,
                owner=self.rng.choice(self.staff),
            )
            history_backdate(inc, at=aware)
            incidents.append(inc)
        incidents = bulk_create_with_history(incidents, BreachIncident, batch_size=BATCH)
        notices = []
        for inc in incidents:
            for c in self.rng.sample(controllers, min(per_incident, len(controllers))):
                notice = BreachNotification(
                    incident=inc,
                    controller=c,
                    sent_at=inc.became_aware_at + timedelta(hours=self.rng.randrange(1, 20)),
                    channel=BreachNotification.Channel.EMAIL,
                )
                history_backdate(notice, at=notice.sent_at)
                notices.append(notice)
        notices = bulk_create_with_history(notices, BreachNotification, batch_size=BATCH)
        acknowledged = []
        for notice in notices:
            if self.rng.random() < 0.6:
                notice.acknowledged_at = notice.sent_at + timedelta(hours=self.rng.randrange(1, 48))
                history_backdate(notice, at=notice.acknowledged_at)
                acknowledged.append(notice)
        bulk_update_with_history(
            acknowledged, BreachNotification, ["acknowledged_at"], batch_size=UPDATE_BATCH
        )
        for inc in incidents:
            inc.status = BreachIncident.Status.CLOSED
            inc.controllers_confirmed_at = inc.became_aware_at + timedelta(minutes=30)
            inc.controllers_confirmed_by = inc.owner
            inc.closed_at = inc.became_aware_at + timedelta(days=self.rng.randrange(1, 30))
            if inc.closed_at > self.now:
                inc.status, inc.closed_at = BreachIncident.Status.CONTAINED, None
            history_backdate(inc, at=inc.closed_at or inc.controllers_confirmed_at)
        bulk_update_with_history(
            incidents,
            BreachIncident,
            ["status", "controllers_confirmed_at", "controllers_confirmed_by", "closed_at"],
            batch_size=UPDATE_BATCH,
        )
