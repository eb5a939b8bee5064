"""A large, realistic data set for load tests: thousands of customers, their requests and breaches.

Each record is made in Python in its final state, together with the history rows of the changes
that led there (dated, with who acted and why, as the services would have written them), and
written with PostgreSQL's COPY: the tables, their history tables, and the audit trail's entries
for those history rows, chained in the same pass (`apps.trail.services.trail_chain_loaded`).
Each chunk of records is one transaction; ids are taken past each table's sequence, which is
then moved past them. Only inserts reach the history tables and the trail (their guards refuse
anything else). PostgreSQL only, and not idempotent: run it once on a fresh database (it runs
`seed_demo` first).
"""

import multiprocessing
import queue
import random
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from apps.accounts.models import User
from apps.breaches.models import BreachIncident, BreachNotification
from apps.controllers.models import Controller, Membership
from apps.core.history import history_save, m2m_history_model
from apps.core.legaltime import DeadlineCalendar
from apps.core.processes import connections_close_for_fork
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.dsar.deadlines import dsar_calendar_for
from apps.dsar.models import DsarTicket, DsarTimelineEntry
from apps.notifications.models import Notification
from apps.processors.models import ProcessingActivity, Processor
from apps.trail.services import trail_chain_loaded

COUNTRIES = ["DE", "FR", "NL", "GB", "US", "ES", "IT", "SE", "PL", "IE", "CA", "JP"]
TIMELINE_NOTES = [
    "We have started on the request and will confirm each system once done.",
    "Identity verified through the customer; proceeding.",
    "The subject's records were located in the primary database and the file store.",
    "Export prepared and handed to the customer through the portal.",
    "Erasure confirmed in every system that held the data.",
]
# Records per transaction: tickets (each with its timeline and message), controllers, incidents.
TICKET_CHUNK = 5000
CONTROLLER_CHUNK = 5000
INCIDENT_CHUNK = 500
# The activity that the benchmark's Privacy Officer edits: it lists this many controllers.
LISTED_CONTROLLERS = 500
ACTIVITY_NAME = "Customer-specific analytics (scale data)"
# Fields whose Python value COPY writes as it is; any other field's value goes through the
# field's own get_db_prep_save (a country, an encrypted body, JSON).
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DateTimeField,
    models.EmailField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
)
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


class Table:
    """One table as COPY writes it: its columns, the rows waiting, and ids past its sequence."""

    def __init__(self, model: Any):
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.prepared = [
            (i, f) for i, f in enumerate(fields) if type(f) not in PLAIN_FIELDS
        ]  # exact types: a subclass (an encrypted text field) prepares its own value
        self.pk = model._meta.pk
        self.rows: list[list] = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, self.pk.column]
            )
            self.sequence = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT GREATEST((SELECT max({self.pk.column}) FROM {model._meta.db_table}), "
                f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {self.sequence}))"
            )
            self.last_id = cursor.fetchone()[0] or 0
        self.step = 1
        self.written = 0

    def interleave(self, part: int, parts: int) -> None:
        """Take every `parts`-th id from here on, starting at the `part`-th: loaders running
        side by side never take the same id."""
        self.last_id += part + 1 - parts
        self.step = parts

    def take_id(self) -> int:
        self.last_id += self.step
        return self.last_id

    def resync(self) -> None:
        """Move the sequence past the highest id in the table (after loaders side by side)."""
        table, pk = self.model._meta.db_table, self.pk.column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT max({pk}) FROM {table}")
            self.last_id, self.step = cursor.fetchone()[0] or 0, 1
            if self.last_id:
                cursor.execute("SELECT setval(%s, %s)", [self.sequence, self.last_id])

    def add(self, values: dict[str, Any]) -> None:
        row = [values[name] for name in self.attnames]
        for i, field in self.prepared:
            row[i] = field.get_db_prep_save(row[i], connection)
        self.rows.append(row)

    def add_object(self, obj: models.Model) -> None:
        self.add({name: getattr(obj, name) for name in self.attnames})

    def take_rows(self) -> tuple[list[list], int]:
        """The rows waiting and the highest id taken so far; the table starts a new batch."""
        rows, self.rows = self.rows, []
        return rows, self.last_id

    def write(self, rows: list[list], last_id: int) -> None:
        if not rows:
            return
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Past every id taken: the next insert through Django takes the one after (never
            # back, with loaders side by side).
            cursor.execute(
                f"SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM {self.sequence})))",
                [self.sequence, last_id],
            )
        self.written += len(rows)


class HistoryTable(Table):
    """A model's history table: one row per change, in the shape simple-history writes."""

    def __init__(self, model: Any):
        self.history_model = model.history.model
        super().__init__(self.history_model)
        tracked = {f.attname for f in model._meta.concrete_fields}
        self.tracked = [name for name in self.attnames if name in tracked]
        unknown = set(self.attnames) - tracked - HISTORY_FIELDS
        if unknown:
            raise CommandError(
                f"{self.history_model.__name__} has fields seed_scale does not fill: {unknown}"
            )

    def record(
        self, obj: models.Model, *, at: datetime, by: int | None, kind: str, reason: str
    ) -> Any:
        """Write the history row of `obj` as it stands now; returns it, for the trail."""
        values = {name: getattr(obj, name) for name in self.tracked}
        values.update(
            history_id=self.take_id(),
            history_date=at,
            history_change_reason=reason,
            history_type=kind,
            history_user_id=by,
        )
        self.add(values)
        # The row as the history model holds it; Model.__init__ would cost as much as the rest.
        row = self.history_model.__new__(self.history_model)
        row.__dict__.update(values)
        row._state = ModelState()
        return row


class Command(BaseCommand):
    help = (
        "Add a large data set (default: 20,000 controllers, 1,000,000 DSAR tickets with their "
        "timelines and messages, 20,000 breach incidents notified to 20 controllers each, about "
        "10,000,000 history rows), written with COPY and chained into the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--controllers", type=int, default=20_000)
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--incidents", type=int, default=20_000)
        parser.add_argument(
            "--timeline-per-ticket",
            type=int,
            default=5,
            help="Average timeline entries of a ticket that was started (status changes, notes, "
            "replies).",
        )
        parser.add_argument("--notices-per-incident", type=int, default=20)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--jobs",
            type=int,
            default=2,
            help="Processes that load the tickets side by side (one per core).",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale writes with PostgreSQL's COPY: set DATABASE_URL.")
        if Controller.objects.filter(legal_name__startswith="Scale Customer ").exists():
            raise CommandError("seed_scale already ran on this database; use a fresh one.")
        self.rng = random.Random(options["seed"])
        self.now = timezone.now()
        self.started = time.monotonic()
        call_command("seed_demo", stdout=self.stdout)
        self.staff = list(User.objects.filter(is_staff=True).order_by("pk"))
        if not self.staff:
            raise CommandError("seed_demo made no staff users.")
        self.chained = 0
        self.tables: dict[Any, Table] = {}
        self.pending: Future | None = None
        with self.writing():
            controllers, users = self.controllers(options["controllers"])
        self.step(f"{len(controllers)} controllers, users and memberships")
        self.tickets_side_by_side(
            controllers,
            users,
            options["tickets"],
            per_ticket=options["timeline_per_ticket"],
            jobs=max(1, options["jobs"]),
            seed=options["seed"],
        )
        self.step(f"{options['tickets']} tickets with their timelines and messages")
        with self.writing():
            self.incidents(
                controllers, users, options["incidents"], options["notices_per_incident"]
            )
        self.step(f"{options['incidents']} breach incidents and their notices")
        self.listed_activity(controllers[:LISTED_CONTROLLERS])
        self.step(f"an activity that lists {min(len(controllers), LISTED_CONTROLLERS)} controllers")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.step("ANALYZE")
        written = {t.model._meta.label: t.written for t in self.tables.values()}
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_scale: {len(controllers)} controllers, {options['tickets']} tickets, "
                f"{options['incidents']} incidents, {self.chained} history rows chained, "
                f"{sum(written.values())} rows written with COPY in "
                f"{time.monotonic() - self.started:.0f} s."
            )
        )

    def step(self, what: str) -> None:
        self.stdout.write(f"  {time.monotonic() - self.started:7.1f} s  {what}")

    def table(self, model: Any) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model)
        return self.tables[model]

    def history(self, model: Any) -> HistoryTable:
        key = ("history", model)
        if key not in self.tables:
            self.tables[key] = HistoryTable(model)
        return self.tables[key]  # type: ignore[return-value]

    def moment(self, days_back: float) -> datetime:
        return self.now - timedelta(days=days_back, seconds=self.rng.randrange(86_400))

    def commit_chunk(self, rows: list, tables: list[Any]) -> None:
        """Hand what the chunk made to the writer thread, which writes it and chains its history
        rows in one transaction while this thread makes the next chunk: PostgreSQL's share of
        the work then runs beside Python's instead of after it."""
        batches = [(self.tables[key], *self.tables[key].take_rows()) for key in tables]
        self.wait_for_writer()
        self.pending = self.writer.submit(self.write_chunk, rows, batches)

    def write_chunk(self, rows: list, batches: list) -> None:
        with transaction.atomic():  # on the writer thread's own connection
            with connection.cursor() as cursor:
                # Nothing here needs to wait for the disk: a failed run is thrown away whole.
                cursor.execute("SET LOCAL synchronous_commit = off")
            for table, table_rows, last_id in batches:
                table.write(table_rows, last_id)
            self.chained += trail_chain_loaded(rows=rows)

    def wait_for_writer(self) -> None:
        if self.pending is not None:
            self.pending.result()  # raises here what failed there
            self.pending = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The writer thread for a stretch of the load; everything is written at the end."""
        self.writer = ThreadPoolExecutor(max_workers=1)
        try:
            yield
            self.wait_for_writer()
        finally:
            self.writer.submit(connection.close)
            self.writer.shutdown()

    # --- customers ------------------------------------------------------------------------

    def controllers(self, n: int) -> tuple[list[Controller], list[User]]:
        controller_table = self.table(Controller)
        user_table, membership_table = self.table(User), self.table(Membership)
        controller_history, user_history = self.history(Controller), self.history(User)
        membership_history = self.history(Membership)
        # One password hash for every customer user: hashing 20,000 times would take an hour.
        password = make_password("scale-customer-2026")
        controllers, users = [], []
        for start in range(1, n + 1, CONTROLLER_CHUNK):
            rows: list[tuple[Any, str]] = []
            for i in range(start, min(n, start + CONTROLLER_CHUNK - 1) + 1):
                at = self.moment(self.rng.randrange(300, 730))
                c = Controller(
                    id=controller_table.take_id(),
                    created_at=at,
                    updated_at=at,
                    legal_name=f"Scale Customer {i:05d} Ltd",
                    registration_number=f"SC{i:07d}",
                    address=f"{i} Market Street\nCity {i % 97}",
                    country=self.rng.choice(COUNTRIES),
                    contact_name=f"Contact {i}",
                    contact_email=f"privacy@customer{i:05d}.example",
                    dpo_name=f"DPO {i}",
                    dpo_email=f"dpo@customer{i:05d}.example",
                    dpa_version=self.rng.choice(["2025-06", "2026-01"]),
                    dpa_accepted_on=(at - timedelta(days=self.rng.randrange(1, 30))).date(),
                )
                controller_table.add_object(c)
                rows.append((self.record(controller_history, c, at, None, "+"), str(c)))
                u = User(
                    id=user_table.take_id(),
                    email=f"user@customer{i:05d}.example",
                    full_name=f"Customer User {i}",
                    password=password,
                    date_joined=at,
                )
                user_table.add_object(u)
                rows.append((self.record(user_history, u, at, None, "+"), str(u)))
                m = Membership(
                    id=membership_table.take_id(),
                    created_at=at,
                    updated_at=at,
                    user=u,
                    controller=c,
                    role=Membership.Role.ADMIN.value,
                )
                membership_table.add_object(m)
                rows.append((self.record(membership_history, m, at, None, "+"), str(m)))
                controllers.append(c)
                users.append(u)
            self.commit_chunk(
                rows,
                [
                    Controller,
                    User,
                    Membership,
                    ("history", Controller),
                    ("history", User),
                    ("history", Membership),
                ],
            )
        return controllers, users

    def record(self, history: HistoryTable, obj, at: datetime, by: int | None, kind: str):
        return history.record(obj, at=at, by=by, kind=kind, reason="seed_scale")

    # --- data-subject requests -------------------------------------------------------------

    def calendar(self, controller: Controller) -> DeadlineCalendar:
        key = (str(controller.country), controller.holiday_subdivision, controller.time_zone)
        if key not in self.calendars:
            self.calendars[key] = dsar_calendar_for(controller=controller)
        return self.calendars[key]

    def tickets_side_by_side(
        self, controllers, users, n: int, *, per_ticket: int, jobs: int, seed: int
    ) -> None:
        """The tickets, by `jobs` processes side by side, each on its own connection and with
        its own writer thread: the chunks in turn, the ids interleaved, the trail's lock taken
        by each chunk's transaction in turn."""
        self.calendars: dict[tuple, DeadlineCalendar] = {}
        self.ticket_type = ContentType.objects.get_for_model(DsarTicket)
        models = (DsarTicket, DsarTimelineEntry, Notification)
        tables = [self.table(m) for m in models] + [self.history(m) for m in models]
        if jobs == 1:
            # One loader: in this process, on its connection; nothing to fork.
            inline: queue.SimpleQueue = queue.SimpleQueue()
            chained_before = self.chained
            self.ticket_loader(0, 1, controllers, users, n, per_ticket, seed, inline)
            self.chained = chained_before
            self.collect(tables, [inline.get()])
            return
        connections_close_for_fork()  # each process opens its own
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        loaders = []
        for part in range(jobs):
            loader = context.Process(
                target=self.ticket_loader,
                args=(part, jobs, controllers, users, n, per_ticket, seed, results),
            )
            loader.start()
            loaders.append(loader)
        for loader in loaders:
            loader.join()
        if any(loader.exitcode for loader in loaders):
            raise CommandError("a ticket loader failed; see its traceback above.")
        self.collect(tables, [results.get(timeout=60) for _ in loaders])

    def collect(self, tables, results) -> None:
        """Add up what the loaders chained and wrote, and move the tables' sequences past it."""
        for chained, written in results:
            self.chained += chained
            for table, rows in zip(tables, written, strict=True):
                table.written += rows
        for table in tables:
            table.resync()

    def ticket_loader(self, part, parts, controllers, users, n, per_ticket, seed, results):
        """One process's share of the tickets: every `parts`-th chunk, from the `part`-th."""
        self.rng = random.Random(seed * 1000 + part)
        models = (DsarTicket, DsarTimelineEntry, Notification)
        tables = [self.table(m) for m in models] + [self.history(m) for m in models]
        for table in tables:
            table.interleave(part, parts)
        self.chained = 0
        with self.writing():
            self.tickets(controllers, users, n, per_ticket=per_ticket, part=part, parts=parts)
        results.put((self.chained, [table.written for table in tables]))
        connections.close_all()

    def tickets(self, controllers, users, n, *, per_ticket: int, part: int, parts: int) -> None:
        tables = [
            DsarTicket,
            DsarTimelineEntry,
            Notification,
            ("history", DsarTicket),
            ("history", DsarTimelineEntry),
            ("history", Notification),
        ]
        for number, start in enumerate(range(1, n + 1, TICKET_CHUNK)):
            if number % parts != part:
                continue
            rows: list[tuple[Any, str]] = []
            for i in range(start, min(n, start + TICKET_CHUNK - 1) + 1):
                k = self.rng.randrange(len(controllers))
                self.ticket(i, controllers[k], users[k], per_ticket, rows)
            self.commit_chunk(rows, tables)
            if number % 20 == part:
                self.step(f"    tickets {start} to {min(n, start + TICKET_CHUNK - 1)}")

    def ticket(self, i: int, controller, user, per_ticket: int, rows: list) -> None:
        """One request as the services would have left it: submitted by the customer, started
        and worked on by a staff member (status notes, notes and replies), most of them closed;
        and the e-mail that told the customer of the last news."""
        rng, now = self.rng, self.now
        history = self.history(DsarTicket)
        received = self.moment(rng.uniform(0, 730))
        submitted = min(received + timedelta(hours=rng.randrange(1, 72)), now)
        t = DsarTicket(
            id=self.tables[DsarTicket].take_id(),
            created_at=submitted,
            updated_at=submitted,
            reference=f"DSAR-{received.year}-S{i:07d}",
            controller=controller,
            request_type=rng.choice(DsarTicket.RequestType.values),
            data_subject_identifier=f"app-user-{rng.randrange(10**9):09d}",
            details="Passed on from the customer's support desk.",
            received_at=received,
            submitted_at=submitted,
            submitted_by=user,
            response_target_at=submitted + timedelta(days=settings.DSAR_RESPONSE_TARGET_DAYS),
            status="new",
        )
        t.compute_due_dates(self.calendar(controller))
        t.statutory_due_at = t.statutory_due_at.astimezone(UTC)
        t.due_at = t.due_at.astimezone(UTC)
        row = history.record(t, at=submitted, by=user.pk, kind="+", reason="dsar.ticket.submitted")
        rows.append((row, str(t)))
        news = ("dsar.submitted", submitted, f"{t.reference}: we have received your request")
        if rng.random() < 0.97:
            staff = rng.choice(self.staff)
            at = min(submitted + timedelta(hours=rng.randrange(1, 48)), now)
            t.status, t.assignee, t.updated_at = "in_progress", staff, at
            row = history.record(t, at=at, by=staff.pk, kind="~", reason="dsar.ticket.in_progress")
            rows.append((row, str(t)))
            self.timeline(t, staff, at, "status", rows, from_status="new")
            age = (now - submitted).days
            closes = age > 20 or (age > 5 and rng.random() < 0.5)
            notes = rng.randrange(max(1, per_ticket - 2), per_ticket + 3) - (2 if closes else 1)
            for j in range(max(0, notes)):
                at = min(at + timedelta(hours=rng.randrange(1, 60)), now)
                kind = "reply" if j % 2 else "note"
                self.timeline(t, staff, at, kind, rows)
                if kind == "reply":
                    news = ("dsar.reply", at, f"{t.reference}: a reply to your request")
            if closes:
                at = max(
                    at + timedelta(hours=rng.randrange(1, 24)),
                    submitted + timedelta(days=rng.randrange(2, 20)),
                )
                at = min(at, now)
                status = rng.choices(["completed", "rejected"], [0.93, 0.07])[0]
                t.status, t.closed_at, t.updated_at = status, at, at
                if status == "rejected":
                    t.rejection_reason = DsarTicket.RejectionReason.IDENTITY_UNVERIFIABLE.value
                t.resolution = "Answered within the deadline."
                row = history.record(
                    t, at=at, by=staff.pk, kind="~", reason=f"dsar.ticket.{status}"
                )
                rows.append((row, str(t)))
                self.timeline(t, staff, at, "status", rows, from_status="in_progress")
                news = ("dsar.status", at, f"{t.reference}: your request is now {status}")
        self.tables[DsarTicket].add_object(t)
        self.message(t, controller, *news, rows)

    def timeline(self, t, staff, at, kind: str, rows: list, from_status: str = "") -> None:
        status = kind == "status"
        entry = DsarTimelineEntry(
            id=self.tables[DsarTimelineEntry].take_id(),
            ticket=t,
            kind=kind,
            author=staff,
            body="" if status else self.rng.choice(TIMELINE_NOTES),
            visible_to_customer=kind != "note",
            from_status=from_status,
            to_status=t.status if status else "",
            created_at=at,
        )
        self.tables[DsarTimelineEntry].add_object(entry)
        row = self.history(DsarTimelineEntry).record(
            entry, at=at, by=staff.pk, kind="+", reason=f"dsar.timeline.{kind}"
        )
        rows.append((row, str(entry)))

    def message(self, t, controller, kind: str, at: datetime, subject: str, rows: list) -> None:
        """The e-mail that told the customer: queued, then sent a little later by the worker."""
        history = self.history(Notification)
        m = Notification(
            id=self.tables[Notification].take_id(),
            created_at=at,
            updated_at=at,
            kind=kind,
            recipient=controller.contact_email,
            subject=subject,
            body="There is news on the request in the portal.",
            next_attempt_at=at,
            related_type=self.ticket_type,
            related_id=str(t.pk),
        )
        row = history.record(m, at=at, by=None, kind="+", reason="notifications.queued")
        rows.append((row, str(m)))
        sent = min(at + timedelta(seconds=self.rng.randrange(5, 120)), self.now)
        m.status, m.attempts, m.sent_at, m.updated_at = "sent", 1, sent, sent
        row = history.record(m, at=sent, by=None, kind="~", reason="notifications.sent")
        rows.append((row, str(m)))
        self.tables[Notification].add_object(m)

    # --- breaches ----------------------------------------------------------------------------

    def incidents(self, controllers, users, n: int, per_incident: int) -> None:
        """Incidents notified to `per_incident` controllers each: created, the affected
        controllers confirmed, each notified (most acknowledged), then closed or contained."""
        rng, now = self.rng, self.now
        field = BreachIncident._meta.get_field("affected_controllers")
        through = field.remote_field.through
        history_m2m = m2m_history_model(BreachIncident.history.model, field)
        incident_table, notice_table = self.table(BreachIncident), self.table(BreachNotification)
        through_table, m2m_table = self.table(through), self.table(history_m2m)
        history, notice_history = self.history(BreachIncident), self.history(BreachNotification)
        user_of = {c.pk: u for c, u in zip(controllers, users, strict=True)}
        leads = self.staff
        tables = [
            BreachIncident,
            through,
            BreachNotification,
            ("history", BreachIncident),
            history_m2m,
            ("history", BreachNotification),
        ]
        for start in range(1, n + 1, INCIDENT_CHUNK):
            rows: list[tuple[Any, str]] = []
            for i in range(start, min(n, start + INCIDENT_CHUNK - 1) + 1):
                aware = self.moment(rng.uniform(0, 730))
                owner = rng.choice(leads)
                inc = BreachIncident(
                    id=incident_table.take_id(),
                    created_at=aware,
                    updated_at=aware,
                    reference=f"INC-{aware.year}-S{i:05d}",
                    title=f"Misconfigured access on storage bucket {i}",
                    description="A storage bucket allowed listing by any authenticated tenant.",
                    occurred_from=aware - timedelta(hours=rng.randrange(2, 200)),
                    occurred_to=aware - timedelta(hours=1),
                    became_aware_at=aware,
                    nature_confidentiality=True,
                    approx_data_subjects=rng.randrange(10, 50_000),
                    approx_records=rng.randrange(10, 500_000),
                    contact_point="security@calljmp.example",
                    likely_consequences="Exposure of email addresses to other tenants.",
                    measures_taken="Access revoked, keys rotated.",
                    risk_level=rng.choice(BreachIncident.RiskLevel.values),
                    status=BreachIncident.Status.OPEN.value,
                    owner=owner,
                )
                label = str(inc)
                rows.append(
                    (
                        history.record(
                            inc, at=aware, by=owner.pk, kind="+", reason="breaches.incident.created"
                        ),
                        label,
                    )
                )
                affected = rng.sample(controllers, min(per_incident, len(controllers)))
                links = [
                    {
                        "id": through_table.take_id(),
                        "breachincident_id": inc.pk,
                        "controller_id": c.pk,
                    }
                    for c in affected
                ]
                for link in links:
                    through_table.add(link)
                confirmed = aware + timedelta(minutes=30)
                inc.controllers_confirmed_at, inc.controllers_confirmed_by = confirmed, owner
                inc.updated_at = confirmed
                row = history.record(
                    inc,
                    at=confirmed,
                    by=owner.pk,
                    kind="~",
                    reason="breaches.incident.controllers_confirmed",
                )
                self.m2m_rows(m2m_table, row, links)
                rows.append((row, label))
                for c in affected:
                    sent = min(aware + timedelta(hours=rng.randrange(1, 20)), now)
                    notice = BreachNotification(
                        id=notice_table.take_id(),
                        created_at=sent,
                        updated_at=sent,
                        incident=inc,
                        controller=c,
                        sent_at=sent,
                        channel=BreachNotification.Channel.EMAIL.value,
                    )
                    notice_label = str(notice)
                    rows.append(
                        (
                            notice_history.record(
                                notice,
                                at=sent,
                                by=owner.pk,
                                kind="+",
                                reason="breaches.notification.sent",
                            ),
                            notice_label,
                        )
                    )
                    acknowledged = sent + timedelta(hours=rng.randrange(1, 48))
                    if rng.random() < 0.6 and acknowledged < now:
                        reader = user_of.get(c.pk)
                        notice.acknowledged_at, notice.acknowledged_by = acknowledged, reader
                        notice.updated_at = acknowledged
                        rows.append(
                            (
                                notice_history.record(
                                    notice,
                                    at=acknowledged,
                                    by=reader.pk if reader else None,
                                    kind="~",
                                    reason="breaches.notification.acknowledged",
                                ),
                                notice_label,
                            )
                        )
                    notice_table.add_object(notice)
                closed = aware + timedelta(days=rng.randrange(1, 30))
                if closed < now:
                    inc.status, inc.closed_at = BreachIncident.Status.CLOSED.value, closed
                else:
                    inc.status, closed = (
                        BreachIncident.Status.CONTAINED.value,
                        min(aware + timedelta(hours=6), now),
                    )
                inc.updated_at = closed
                row = history.record(
                    inc, at=closed, by=owner.pk, kind="~", reason=f"breaches.incident.{inc.status}"
                )
                self.m2m_rows(m2m_table, row, links)
                rows.append((row, label))
                incident_table.add_object(inc)
            self.commit_chunk(rows, tables)

    def m2m_rows(self, table: Table, history_row, links: list[dict]) -> None:
        """The many-to-many rows a history row keeps: the links as they stood then."""
        for link in links:
            table.add({**link, "history_id": history_row.pk, "m2m_history_id": table.take_id()})

    # --- the record ---------------------------------------------------------------------------

    def listed_activity(self, controllers: list[Controller]) -> None:
        """An approved activity that lists its controllers (the benchmark's Privacy Officer
        edits it), written as the admin would: through the models, marked and chained."""
        officer = User.objects.filter(is_staff=True, groups__name="Privacy Officer").first()
        with transaction.atomic():
            activity = ProcessingActivity(
                processor=Processor.objects.order_by("pk").first(),
                name=ACTIVITY_NAME,
                description="Usage analytics that some customers ordered for their own apps.",
                purpose="Product analytics on the customer's instruction.",
                category=ProcessingActivity.Category.ANALYTICS,
                retention="Aggregates kept 13 months; raw events 30 days.",
                instruction="The customer's order form, analytics add-on.",
                covers_all_controllers=False,
                status=ProcessingActivity.Status.APPROVED,
                approved_by=officer,
                approved_at=self.now,
                next_review_on=date(self.now.year + 1, 1, 31),
            )
            history_save(activity, by=officer, reason="seed_scale")
            activity.data_categories.set(DataCategory.objects.all()[:3])
            activity.data_subject_categories.set(DataSubjectCategory.objects.all()[:2])
            activity.controllers.set(controllers)
