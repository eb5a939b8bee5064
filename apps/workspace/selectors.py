"""What each role sees on the staff dashboard: the figures that say what needs doing now.

Every figure is a count, up to ROWS of its rows, and the admin list that shows all of them
(filtered by a filter that list offers). A figure reads two queries, whatever the number of rows:
the count and the first rows, with what their labels need joined in. Deadlines are told by each
row's own clock (apps.core.legaltime), never counted here.

Which figures a person sees follows their role (AREAS_BY_ROLE) and, within it, what they may read
(the view permission of the figure's model): a Support Agent sees the requests, a Security Lead
the incidents and the security events, a Privacy Officer and an Auditor everything.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.conf import settings
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import SecurityEvent
from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.breaches.models import BreachIncident, BreachNotification
from apps.controllers.models import Controller
from apps.core.legaltime import DUE_SOON_DAYS
from apps.dsar.models import DsarPropagation, DsarTicket
from apps.jobs.models import Job
from apps.notifications.models import Notification
from apps.processors.models import REVIEW_WARNING_DAYS, ProcessingActivity, Processor
from apps.processors.selectors import shared_record_gaps
from apps.retention.models import RetentionRun
from apps.retention.selectors import retention_state
from apps.subprocessors.models import (
    CHANGE_EFFECT_WARNING_DAYS,
    DPA_EXPIRY_WARNING_DAYS,
    Objection,
    Subprocessor,
    SubprocessorChange,
)

# How many rows a figure names; the rest are a click away in its list.
ROWS = 5

DSAR = "requests"
BREACHES = "incidents"
SECURITY = "security"
REGISTER = "register"
OPERATIONS = "operations"
ALL_AREAS = frozenset({DSAR, BREACHES, SECURITY, REGISTER, OPERATIONS})

AREAS_BY_ROLE: dict[str, frozenset[str]] = {
    PRIVACY_OFFICER: ALL_AREAS,
    SUPPORT_AGENT: frozenset({DSAR}),
    SECURITY_LEAD: frozenset({BREACHES, SECURITY}),
    AUDITOR: ALL_AREAS,
}


@dataclass(frozen=True)
class FigureRow:
    label: str
    detail: str
    url: str
    late: bool = False


@dataclass(frozen=True)
class Figure:
    key: str
    area: str
    title: str
    count: int
    url: str
    # What an empty figure means, said as the good news it is.
    all_clear: str
    rows: list[FigureRow] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


def _changelist(model: type[Model], **params: Any) -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _change(obj: Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def user_areas(user) -> frozenset[str]:
    """The dashboard areas of a person's roles (every area for a superuser)."""
    if user.is_superuser:
        return ALL_AREAS
    areas: set[str] = set()
    for group in user.groups.all():
        areas |= AREAS_BY_ROLE.get(group.name, frozenset())
    return frozenset(areas)


def _may_read(user, model: type[Model]) -> bool:
    meta = model._meta
    return user.has_perm(f"{meta.app_label}.view_{meta.model_name}")


@dataclass(frozen=True)
class _Spec:
    key: str
    area: str
    model: type[Model]
    build: Callable[[datetime, tzinfo], Figure]


def _figure(
    spec_key: str,
    area: str,
    title: str,
    queryset: QuerySet,
    url: str,
    all_clear: str,
    row: Callable[[Any], FigureRow],
) -> Figure:
    count = queryset.count()
    rows = [row(obj) for obj in queryset[:ROWS]] if count else []
    return Figure(
        key=spec_key, area=area, title=title, count=count, url=url, all_clear=all_clear, rows=rows
    )


def _ticket_row(now: datetime) -> Callable[[DsarTicket], FigureRow]:
    def row(ticket: DsarTicket) -> FigureRow:
        clock = ticket.clock(now)
        return FigureRow(
            label=f"{ticket.reference} · {ticket.controller}",
            detail=f"{ticket.get_request_type_display()}: {clock.days_label}",
            url=_change(ticket),
            late=clock.overdue,
        )

    return row


def _dsar_overdue(now: datetime, zone: tzinfo) -> Figure:
    tickets = DsarTicket.objects.overdue(now).select_related("controller").order_by("due_at")
    return _figure(
        "dsar_overdue",
        DSAR,
        "Overdue requests",
        tickets,
        _changelist(DsarTicket, deadline="overdue"),
        "No overdue requests: every open request is within its deadline.",
        _ticket_row(now),
    )


def _dsar_due_soon(now: datetime, zone: tzinfo) -> Figure:
    tickets = (
        DsarTicket.objects.due_within(DUE_SOON_DAYS, at=now)
        .select_related("controller")
        .order_by("due_at")
    )
    return _figure(
        "dsar_due_soon",
        DSAR,
        f"Requests due within {DUE_SOON_DAYS} days",
        tickets,
        _changelist(DsarTicket, deadline="week"),
        f"No request falls due in the next {DUE_SOON_DAYS} days.",
        _ticket_row(now),
    )


def _propagations_pending(now: datetime, zone: tzinfo) -> Figure:
    pending = (
        DsarPropagation.objects.filter(status=DsarPropagation.Status.PENDING)
        .select_related("ticket", "subprocessor")
        .order_by("ticket__due_at", "pk")
    )
    return _figure(
        "propagations_pending",
        DSAR,
        "Propagations still pending",
        pending,
        _changelist(DsarTicket, propagation="pending"),
        "Every erasure, rectification and restriction has reached its subprocessors.",
        lambda p: FigureRow(
            label=p.ticket.reference,
            detail=f"to {p.subprocessor.name}",
            url=_change(p.ticket),
        ),
    )


def _breach_targets(now: datetime, zone: tzinfo) -> Figure:
    incidents = BreachIncident.objects.notice_owed().order_by("became_aware_at")

    def row(incident: BreachIncident) -> FigureRow:
        clock = incident.target_clock(zone=zone, now=now)
        return FigureRow(
            label=str(incident),
            detail=f"our target to notify: {clock.hours_label}",
            url=_change(incident),
            late=clock.overdue,
        )

    return _figure(
        "breach_targets",
        BREACHES,
        "Incidents with controllers still to notify",
        incidents,
        _changelist(BreachIncident, target="running"),
        "Every affected controller of every incident has been notified.",
        row,
    )


def _controller_windows(now: datetime, zone: tzinfo) -> Figure:
    notices = (
        BreachNotification.objects.window_running(now)
        .select_related("incident", "controller")
        .order_by("sent_at")
    )

    def row(notice: BreachNotification) -> FigureRow:
        clock = notice.window_clock(zone=zone, now=now)
        return FigureRow(
            label=f"{notice.incident.reference} · {notice.controller}",
            detail=f"controller's 72 hours: {clock.hours_label if clock else 'not started'}",
            url=_change(notice.incident),
        )

    return _figure(
        "controller_windows",
        BREACHES,
        "Controllers' 72 hours running",
        notices,
        _changelist(BreachIncident, window="running"),
        "No controller is within its 72 hours of one of our notices.",
        row,
    )


def _notices_unacknowledged(now: datetime, zone: tzinfo) -> Figure:
    notices = (
        BreachNotification.objects.unacknowledged()
        .select_related("incident", "controller")
        .order_by("sent_at")
    )
    return _figure(
        "notices_unacknowledged",
        BREACHES,
        "Notices not acknowledged",
        notices,
        _changelist(BreachIncident, window="unacknowledged"),
        "Every controller has acknowledged our notices.",
        lambda n: FigureRow(
            label=f"{n.incident.reference} · {n.controller}",
            detail="sent, not acknowledged",
            url=_change(n.incident),
        ),
    )


def _objections_open(now: datetime, zone: tzinfo) -> Figure:
    objections = (
        Objection.objects.filter(status=Objection.Status.OPEN)
        .select_related("controller", "change__subprocessor")
        .order_by("created_at")
    )
    return _figure(
        "objections_open",
        REGISTER,
        "Objections awaiting an answer",
        objections,
        _changelist(Objection, status__exact=Objection.Status.OPEN),
        "No controller's objection is waiting for an answer.",
        lambda o: FigureRow(
            label=str(o.controller),
            detail=f"objects to {o.change.subprocessor.name}",
            url=_change(o),
        ),
    )


def _changes_soon(now: datetime, zone: tzinfo) -> Figure:
    changes = (
        SubprocessorChange.objects.effective_soon(now)
        .select_related("subprocessor")
        .order_by("effective_at")
    )
    return _figure(
        "changes_soon",
        REGISTER,
        f"Subprocessor changes taking effect within {CHANGE_EFFECT_WARNING_DAYS} days",
        changes,
        _changelist(SubprocessorChange, effective="soon"),
        "No announced subprocessor change takes effect soon.",
        lambda c: FigureRow(
            label=f"{c.get_kind_display()}: {c.subprocessor.name}",
            detail=f"takes effect {_day(timezone.localdate(c.effective_at, zone))}",
            url=_change(c),
        ),
    )


def _reviews_due(now: datetime, zone: tzinfo) -> Figure:
    today = timezone.localtime(now, zone).date()
    activities = ProcessingActivity.objects.review_due(today).order_by("next_review_on", "name")
    return _figure(
        "reviews_due",
        REGISTER,
        f"Processing activities due for review within {REVIEW_WARNING_DAYS} days",
        activities,
        _changelist(ProcessingActivity, review="due"),
        "Every processing activity's review is further off.",
        lambda a: FigureRow(
            label=a.name,
            detail=f"review by {_day(a.next_review_on)}",
            url=_change(a),
            late=a.next_review_on < today,
        ),
    )


def _dpas_expiring(now: datetime, zone: tzinfo) -> Figure:
    today = timezone.localtime(now, zone).date()
    subprocessors = Subprocessor.objects.dpa_expiring(today).order_by("dpa_expires_on", "name")
    return _figure(
        "dpas_expiring",
        REGISTER,
        f"Subprocessor DPAs expiring within {DPA_EXPIRY_WARNING_DAYS} days",
        subprocessors,
        _changelist(Subprocessor, dpa="expiring"),
        f"No active subprocessor's DPA expires in the next {DPA_EXPIRY_WARNING_DAYS} days.",
        lambda s: FigureRow(
            label=s.name,
            detail=f"DPA expires {_day(s.dpa_expires_on)}",
            url=_change(s),
            late=s.dpa_expires_on < today,
        ),
    )


def _records_incomplete(now: datetime, zone: tzinfo) -> Figure:
    """Gaps every record shares first, then the controllers whose own part has one."""
    shared = [
        FigureRow(label="Every record", detail=gap.text, url=_changelist(Processor))
        for gap in shared_record_gaps()
    ]
    controllers = Controller.objects.active().record_incomplete().order_by("legal_name")
    figure = _figure(
        "records_incomplete",
        REGISTER,
        "Records not ready to file",
        controllers,
        _changelist(Controller, record="incomplete"),
        "Every controller's record names its representative, its DPO and its subprocessors.",
        lambda c: FigureRow(
            label=c.legal_name, detail="representative or DPO missing", url=_change(c)
        ),
    )
    return Figure(
        key=figure.key,
        area=figure.area,
        title=figure.title,
        count=figure.count + len(shared),
        url=figure.url,
        all_clear=figure.all_clear,
        rows=(shared + figure.rows)[:ROWS],
    )


def _outbox_failures(now: datetime, zone: tzinfo) -> Figure:
    failed = Notification.objects.filter(status=Notification.Status.FAILED).order_by("-updated_at")
    return _figure(
        "outbox_failures",
        OPERATIONS,
        "Messages that could not be delivered",
        failed,
        _changelist(Notification, status__exact=Notification.Status.FAILED),
        "Every message in the outbox has been delivered or is on its way.",
        lambda n: FigureRow(label=n.subject, detail=f"to {n.recipient}", url=_change(n)),
    )


def _jobs_failed(now: datetime, zone: tzinfo) -> Figure:
    failed = Job.objects.filter(state=Job.State.FAILED).order_by("-queued_at")
    return _figure(
        "jobs_failed",
        OPERATIONS,
        "Failed jobs",
        failed,
        _changelist(Job, state__exact=Job.State.FAILED, whose="everyone"),
        "No job has failed.",
        lambda j: FigureRow(label=j.title, detail=j.summary or "failed", url=_change(j)),
    )


def _tasks_failed(now: datetime, zone: tzinfo) -> Figure:
    task_result = django_apps.get_model("django_tasks_database", "DBTaskResult")
    failed = task_result.objects.filter(status="FAILED").order_by("-enqueued_at")
    return _figure(
        "tasks_failed",
        OPERATIONS,
        "Failed background tasks",
        failed,
        _changelist(task_result, status__exact="FAILED"),
        "No background task has failed.",
        lambda t: FigureRow(label=t.task_path, detail="failed", url=_change(t)),
    )


def _security_events(now: datetime, zone: tzinfo) -> Figure:
    since = now - timedelta(days=1)
    events = SecurityEvent.objects.filter(created_at__gte=since).order_by("-created_at")
    return _figure(
        "security_events",
        SECURITY,
        "Security events of the last 24 hours",
        events,
        _changelist(
            SecurityEvent,
            created_at__gte=since.isoformat(),
            created_at__lt=(now + timedelta(minutes=1)).isoformat(),
        ),
        "No failed sign-in, lockout or refusal in the last 24 hours.",
        lambda e: FigureRow(
            label=e.get_kind_display(),
            detail=e.username or (str(e.user) if e.user_id else ""),
            url=_change(e),
        ),
    )


def _day(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def _retention(now: datetime, zone: tzinfo) -> Figure:
    """The retention schedule's last run: flagged (a count of one) when there is none, it
    failed, or none finished within RETENTION_STALE_AFTER_HOURS. One query."""
    state = retention_state(now=now)
    last = state.last
    url = _changelist(RetentionRun)
    if last is None:
        summary, when = "No run recorded: is apply_retention in the daily cron?", ""
    else:
        at = timezone.localtime(last.finished_at or last.started_at, zone)
        when = date_format(at, "DATETIME_FORMAT")
        removed = "; ".join(f"{label}: {count}" for label, count in state.removed())
        outcome = "failed" if last.status == RetentionRun.Status.FAILED else "finished"
        summary = f"Last run {outcome} {when}: " + (
            f"deleted or anonymised {removed}." if removed else "nothing had outlived its period."
        )
    rows = []
    if state.stale:
        rows = [
            FigureRow(
                label=f"Last run {when}" if last else "Never run",
                detail=summary,
                url=_change(last) if last else url,
                late=True,
            )
        ]
    return Figure(
        key="retention",
        area=OPERATIONS,
        title="Retention schedule not run in the last "
        f"{settings.RETENTION_STALE_AFTER_HOURS // 24} days",
        count=1 if state.stale else 0,
        url=url,
        all_clear=summary,
        rows=rows,
    )


def _specs() -> Iterable[_Spec]:
    yield _Spec("dsar_overdue", DSAR, DsarTicket, _dsar_overdue)
    yield _Spec("dsar_due_soon", DSAR, DsarTicket, _dsar_due_soon)
    yield _Spec("propagations_pending", DSAR, DsarTicket, _propagations_pending)
    yield _Spec("breach_targets", BREACHES, BreachIncident, _breach_targets)
    yield _Spec("controller_windows", BREACHES, BreachIncident, _controller_windows)
    yield _Spec("notices_unacknowledged", BREACHES, BreachIncident, _notices_unacknowledged)
    yield _Spec("objections_open", REGISTER, Objection, _objections_open)
    yield _Spec("changes_soon", REGISTER, SubprocessorChange, _changes_soon)
    yield _Spec("reviews_due", REGISTER, ProcessingActivity, _reviews_due)
    yield _Spec("dpas_expiring", REGISTER, Subprocessor, _dpas_expiring)
    yield _Spec("records_incomplete", REGISTER, Controller, _records_incomplete)
    yield _Spec("outbox_failures", OPERATIONS, Notification, _outbox_failures)
    yield _Spec("jobs_failed", OPERATIONS, Job, _jobs_failed)
    if django_apps.is_installed("django_tasks_db"):
        task_result = django_apps.get_model("django_tasks_database", "DBTaskResult")
        yield _Spec("tasks_failed", OPERATIONS, task_result, _tasks_failed)
    yield _Spec("retention", OPERATIONS, RetentionRun, _retention)
    yield _Spec("security_events", SECURITY, SecurityEvent, _security_events)


def dashboard_figures(
    *,
    user,
    areas: frozenset[str] | None = None,
    now: datetime | None = None,
    zone: tzinfo | None = None,
) -> list[Figure]:
    """The figures this person's roles (or the `areas` already read from them) and permissions
    let them see, in the dashboard's order."""
    now = now or timezone.now()
    zone = zone or timezone.get_current_timezone()
    areas = user_areas(user) if areas is None else areas
    return [
        spec.build(now, zone)
        for spec in _specs()
        if spec.area in areas and _may_read(user, spec.model)
    ]
