"""The retention schedule: what has outlived its period goes (deleted or anonymised, history
through the trail's scrub), what has not stays, each run is recorded in the trail, the dashboard
says when it last ran, and running it again changes nothing."""

from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.accounts.models import SecurityEvent, User
from apps.audit.models import AuditAccessLog
from apps.controllers.models import Membership
from apps.controllers.services import membership_invite
from apps.core.history import history_save
from apps.notifications.models import Notification
from apps.offboarding.models import DataExport
from apps.processors.documents import register_html
from apps.retention.models import RetentionRun
from apps.retention.services import retention_apply
from apps.trail.models import TrailEntry
from apps.trail.services import trail_seal_pending
from tests.factories import (
    AuditGrantFactory,
    ControllerFactory,
    DataExportFactory,
    MembershipFactory,
    NotificationFactory,
    SecurityEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAYS = {
    "security_events": 365,
    "audit_access_log": 730,
    "outbox_bodies": 30,
    "request_logs": 90,
    "task_results": 30,
    "invitations": 30,
    "data_exports": 7,
}
INVITATION_LINK_DAYS = 7


@pytest.fixture(autouse=True)
def schedule(settings):
    settings.RETENTION_DAYS = dict(DAYS)
    settings.PORTAL_INVITATION_DAYS = INVITATION_LINK_DAYS


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def at(monkeypatch):
    """`with at(moment):` rows made inside are made at `moment` (auto_now fields, history)."""

    @contextmanager
    def moved(moment):
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "now", lambda: moment)
            yield

    return moved


def around(now, days):
    """(just older than the period, just younger than it)."""
    edge = now - timedelta(days=days)
    return edge - timedelta(hours=1), edge + timedelta(hours=1)


# --- each category: just older goes, just younger stays ----------------------------------------


def test_security_events_just_older_are_anonymised_in_rows_and_history(now, at):
    old_at, young_at = around(now, DAYS["security_events"])
    person = UserFactory(email="mallory@example.test")
    old, young = (
        SecurityEventFactory(user=person, path="/portal/login/", detail="bad", created_at=moment)
        for moment in (old_at, young_at)
    )
    run = retention_apply(now=now)

    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.kind, old.created_at) == ("login_failed", old_at)
    assert (old.username, old.user_id, old.ip_address, old.path, old.detail) == (
        "",
        None,
        None,
        "",
        "",
    )
    assert (young.username, young.user_id, young.ip_address, young.detail) == (
        "mallory@example.test",
        person.pk,
        "192.0.2.1",
        "bad",
    )
    history = SecurityEvent.history.model.objects
    assert not history.filter(id=old.pk, username="mallory@example.test").exists()
    assert not history.filter(id=old.pk, user_id=person.pk).exists()
    assert history.filter(id=old.pk).latest("history_id").history_change_reason == (
        "retention.security_event_anonymised"
    )
    assert history.filter(id=young.pk, username="mallory@example.test").count() == 1
    assert run.counts["security_events"] == 1


def test_the_auditors_access_log_just_older_is_deleted(now, at):
    grant = AuditGrantFactory()
    old_at, young_at = around(now, DAYS["audit_access_log"])
    lines = {}
    for name, moment in (("old", old_at), ("young", young_at)):
        with at(moment):
            lines[name] = AuditAccessLog.objects.create(
                grant=grant,
                controller=grant.controller,
                path="/portal/records/",
                url_name="activity_list",
                method="GET",
                ip="198.51.100.7",
                status=200,
            )

    run = retention_apply(now=now)

    assert list(AuditAccessLog.objects.values_list("pk", flat=True)) == [lines["young"].pk]
    assert run.counts["audit_access_log"] == 1


def test_outbox_bodies_just_older_are_erased_and_the_message_stays(now, at):
    old_at, young_at = around(now, DAYS["outbox_bodies"])
    with at(old_at):
        old = NotificationFactory(status="sent", sent_at=old_at, body="Your reply: old text")
        waiting = NotificationFactory(status="pending", body="Still to send")
    with at(young_at):
        young = NotificationFactory(status="failed", body="Your reply: recent text")

    run = retention_apply(now=now)

    old.refresh_from_db()
    young.refresh_from_db()
    waiting.refresh_from_db()
    assert old.body == ""
    assert (old.status, old.recipient, old.subject) == ("sent", old.recipient, "A message")
    assert old.history.latest().history_change_reason == "retention.outbox_body_erased"
    assert young.body == "Your reply: recent text"
    assert waiting.body == "Still to send"
    assert run.counts["outbox_bodies"] == 1


def test_sign_in_records_just_older_are_deleted(now, at):
    old_at, young_at = around(now, DAYS["request_logs"])
    for moment, name in ((old_at, "old@example.test"), (young_at, "young@example.test")):
        with at(moment):
            AccessLog.objects.create(username=name, ip_address="203.0.113.5", user_agent="x")
            AccessAttempt.objects.create(
                username=name, ip_address="203.0.113.5", user_agent="x", failures_since_start=1
            )

    run = retention_apply(now=now)

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["young@example.test"]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["young@example.test"]
    assert run.counts["request_logs"] == 2


def test_task_results_just_older_are_deleted(now):
    old_at, young_at = around(now, DAYS["task_results"])
    results = {}
    for name, finished in (("old", old_at), ("young", young_at), ("waiting", None)):
        results[name] = DBTaskResult.objects.create(
            status="SUCCESSFUL" if finished else "READY",
            args_kwargs={"args": [], "kwargs": {}},
            task_path="apps.retention.tasks.apply_retention",
            backend_name="default",
            run_after=old_at,
            finished_at=finished,
        )

    run = retention_apply(now=now)

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        results["young"].pk,
        results["waiting"].pk,
    }
    assert run.counts["task_results"] == 1


def test_invitations_never_accepted_just_older_are_erased(now, at):
    controller = ControllerFactory()
    admin = MembershipFactory(controller=controller, role=Membership.Role.ADMIN).user
    # The period runs from the end of the link's validity.
    old_at, young_at = around(now, DAYS["invitations"] + INVITATION_LINK_DAYS)

    def invite(email, moment):
        with at(moment):
            membership = membership_invite(
                controller=controller,
                email=email,
                full_name="Invited Person",
                role=Membership.Role.MEMBER,
                invited_by=admin,
            )
            # The account's own date, which its model's default took from the real clock.
            membership.user.date_joined = moment
            history_save(membership.user, by=admin, reason="portal.user.invited")
        return membership

    old = invite("never.came@example.test", old_at)
    young = invite("still.may@example.test", young_at)
    accepted = invite("came@example.test", old_at)
    accepted.user.set_password("a-long-test-password")
    history_save(accepted.user, by=accepted.user, reason="accounts.password_set")

    run = retention_apply(now=now)

    erased = User.objects.get(pk=old.user_id)
    assert erased.email == f"expired-invitation-{erased.pk}@erased.invalid"
    assert (erased.full_name, erased.is_active) == ("", False)
    assert not Membership.objects.filter(pk=old.pk).exists()
    history = User.history.model.objects
    assert not history.filter(email__iexact="never.came@example.test").exists()
    assert not history.filter(id=erased.pk, full_name="Invited Person").exists()
    assert not Notification.objects.filter(recipient__iexact="never.came@example.test").exists()
    assert Membership.objects.filter(pk__in=[young.pk, accepted.pk]).count() == 2
    assert User.objects.filter(email="still.may@example.test", is_active=True).exists()
    assert User.objects.filter(email="came@example.test", is_active=True).exists()
    assert run.counts["invitations"] == 1


def test_data_export_files_just_older_are_deleted_and_the_request_stays(
    now, django_capture_on_commit_callbacks
):
    old_expiry, young_expiry = around(now, DAYS["data_exports"])
    old = DataExportFactory(ready=True, expires_at=old_expiry)
    young = DataExportFactory(ready=True, expires_at=young_expiry)
    name, storage = old.file.name, old.file.storage
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        run = retention_apply(now=now)

    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.status, old.file.name) == (DataExport.Status.ERASED, "")
    assert old.history.latest().history_change_reason == "retention.data_export_erased"
    assert not storage.exists(name)
    assert young.status == DataExport.Status.READY and young.file.storage.exists(young.file.name)
    assert run.counts["data_exports"] == 1


# --- the run: recorded, idempotent, configurable -------------------------------------------------


def test_each_run_is_recorded_in_the_trail_with_its_counts(now, at):
    old_at, _ = around(now, DAYS["outbox_bodies"])
    with at(old_at):
        NotificationFactory(status="sent", sent_at=old_at, body="old")

    run = retention_apply(now=now)
    trail_seal_pending()

    run.refresh_from_db()
    assert run.status == RetentionRun.Status.DONE
    assert run.finished_at is not None
    assert run.periods == DAYS
    assert run.counts == dict.fromkeys(DAYS, 0) | {"outbox_bodies": 1}
    reasons = list(
        run.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["retention.run_started", "retention.run_finished"]
    finished = run.history.latest()
    assert finished.counts["outbox_bodies"] == 1
    assert (
        TrailEntry.objects.filter(
            history_model="retention.historicalretentionrun", object_id=str(run.pk)
        ).count()
        == 2
    )


def test_running_again_changes_nothing(now, at):
    old_at, _ = around(now, DAYS["security_events"])
    SecurityEventFactory(created_at=old_at)
    with at(old_at):
        NotificationFactory(status="sent", sent_at=old_at, body="old")
    first = retention_apply(now=now)
    assert (first.counts["security_events"], first.counts["outbox_bodies"]) == (1, 1)
    history_rows = SecurityEvent.history.count() + Notification.history.count()

    again = retention_apply(now=now)

    assert again.counts == dict.fromkeys(DAYS, 0)
    assert SecurityEvent.history.count() + Notification.history.count() == history_rows


def test_a_period_set_in_the_settings_is_the_one_applied(now, at, settings):
    settings.RETENTION_DAYS = DAYS | {"outbox_bodies": 3}
    with at(now - timedelta(days=4)):
        message = NotificationFactory(
            status="sent", sent_at=now - timedelta(days=4), body="four days old"
        )

    run = retention_apply(now=now)

    message.refresh_from_db()
    assert message.body == ""
    assert run.periods["outbox_bodies"] == 3


def test_the_command_counts_on_a_dry_run_and_changes_nothing(now, at):
    old_at, _ = around(now, DAYS["outbox_bodies"])
    with at(old_at):
        message = NotificationFactory(status="sent", sent_at=old_at, body="old")
    out = StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    message.refresh_from_db()
    assert message.body == "old"
    assert not RetentionRun.objects.exists()
    assert "Retention: would delete or anonymise 1 row(s)." in out.getvalue()

    out = StringIO()
    call_command("apply_retention", stdout=out)
    message.refresh_from_db()
    assert message.body == ""
    assert "Retention: deleted or anonymised 1 row(s)" in out.getvalue()


# --- where people read it ------------------------------------------------------------------------


def dashboard(client, user):
    client.force_login(user)
    return client.get(reverse("admin:index")).content.decode()


def officer_zone(user):
    return ZoneInfo(user.time_zone or settings.PROCESSOR_TIME_ZONE)


def retention_figure(page):
    start = page.index('id="figure-retention"')
    article = page[page.rindex("<article", 0, start) :]
    return article[: article.index("</article>")]


def test_the_dashboard_flags_a_schedule_that_never_ran(client, officer):
    figure = retention_figure(dashboard(client, officer))
    assert "ws-figure-open" in figure
    assert "Retention schedule not run in the last 2 days" in figure
    assert "No run recorded: is apply_retention in the daily cron?" in figure


def test_the_dashboard_says_when_the_last_run_was_and_what_it_removed(client, officer, now, at):
    old_at, _ = around(now, DAYS["outbox_bodies"])
    with at(old_at):
        NotificationFactory(status="sent", sent_at=old_at, body="old")
    retention_apply()

    figure = retention_figure(dashboard(client, officer))

    assert "ws-figure-open" not in figure
    assert "No run recorded" not in figure
    finished = timezone.localtime(RetentionRun.objects.get().finished_at, officer_zone(officer))
    # "1 Dec 2026, 23:40 CET": the reader's zone, named, as every date-time is written.
    written = f"{finished.day} {finished:%b %Y, %H:%M} {finished.tzname()}"
    assert f"Last run finished {written}: " in figure
    assert (
        "deleted or anonymised Bodies of e-mails and webhook messages no longer waiting to be "
        "sent: 1." in figure
    )


def test_the_dashboard_flags_a_run_older_than_two_days(client, officer, now, at):
    with at(now - timedelta(days=3)):
        retention_apply()

    figure = retention_figure(dashboard(client, officer))

    assert "ws-figure-open" in figure
    assert "ws-late" in figure
    assert "nothing had outlived its period" in figure


def test_the_record_of_processing_states_the_periods_for_customers_data(settings):
    settings.RETENTION_DAYS = DAYS | {"security_events": 400}
    html = register_html(controller=ControllerFactory())
    assert "Retention of the processor's own records" in html
    assert "400 days" in html
    assert (
        "Files of customers&#x27; data exports" in html
        or "Files of customers' data exports" in html
    )
    assert "Background task results" not in html  # no customer's data in them


def test_staff_read_the_runs_and_nobody_adds_or_changes_one(client, staff_auditor, officer):
    run = retention_apply()
    for user in (staff_auditor, officer):
        client.force_login(user)
        assert client.get(reverse("admin:retention_retentionrun_changelist")).status_code == 200
        page = client.get(reverse("admin:retention_retentionrun_change", args=[run.pk]))
        assert "Deleted or anonymised, by category" in page.content.decode()
        assert client.get(reverse("admin:retention_retentionrun_add")).status_code == 403
        response = client.post(
            reverse("admin:retention_retentionrun_change", args=[run.pk]), {"status": "failed"}
        )
        assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == RetentionRun.Status.DONE
