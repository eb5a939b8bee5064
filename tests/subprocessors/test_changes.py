from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.controllers.models import Controller
from apps.notifications.models import Notification
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange
from apps.subprocessors.selectors import subprocessor_changes_upcoming
from apps.subprocessors.services import (
    objection_raise,
    objection_resolve,
    subprocessor_change_announce,
    subprocessor_change_cancel,
    subprocessor_changes_apply,
)
from tests.factories import (
    ControllerFactory,
    ObjectionFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
)

pytestmark = pytest.mark.django_db

Kind = SubprocessorChange.Kind


def proposed(**kwargs):
    return SubprocessorFactory(status=Subprocessor.Status.PROPOSED, engaged_on=None, **kwargs)


def announce(subprocessor, *, days=31, kind=Kind.ADD, replaces=None, by=None):
    return subprocessor_change_announce(
        kind=kind,
        subprocessor=subprocessor,
        replaces=replaces,
        description="We add a CDN.",
        effective_at=timezone.now() + timedelta(days=days),
        by=by,
    )


def test_announcement_emails_contact_and_dpo_of_every_active_controller(
    officer, django_capture_on_commit_callbacks
):
    active = ControllerFactory(contact_email="privacy@a.test", dpo_email="dpo@a.test")
    ControllerFactory(
        contact_email="gone@b.test",
        status=Controller.Status.TERMINATED,
        terminated_on=date(2026, 2, 1),
    )
    # The e-mails are queued by a job (tests/jobs), run here once the announcement commits.
    with django_capture_on_commit_callbacks(execute=True):
        change = announce(proposed(name="Fastly"), by=officer)

    recipients = set(
        Notification.objects.filter(kind="subprocessors.change_announced").values_list(
            "recipient", flat=True
        )
    )
    assert recipients == {active.contact_email, active.dpo_email}
    message = Notification.objects.filter(recipient="dpo@a.test").get()
    assert "Fastly" in message.subject
    assert "object" in message.body
    assert change.history.latest().history_user == officer


def test_effective_date_inside_the_notice_period_is_refused_and_nothing_is_sent(officer):
    ControllerFactory()
    with pytest.raises(ValidationError) as error:
        announce(proposed(), days=10, by=officer)
    assert "no sooner than 30 days" in str(error.value)
    assert not SubprocessorChange.objects.exists()
    assert not Notification.objects.exists()


def test_removing_a_subprocessor_that_is_not_active_is_refused(officer):
    with pytest.raises(ValidationError, match="not an active subprocessor"):
        announce(proposed(), kind=Kind.REMOVE, by=officer)


def test_a_second_announced_change_for_the_same_subprocessor_is_refused(officer):
    subprocessor = proposed()
    announce(subprocessor, by=officer)
    with pytest.raises(ValidationError, match="already has an announced change"):
        announce(subprocessor, days=40, by=officer)


def test_objection_before_the_effective_date_is_recorded_and_staff_are_told(officer):
    from tests.factories import ProcessorFactory

    ProcessorFactory(contact_email="privacy@processor.test")
    change = SubprocessorChangeFactory()
    controller = ControllerFactory()
    objection = objection_raise(
        change=change, controller=controller, reason="Not in the US, please.", by=None
    )
    assert objection.status == Objection.Status.OPEN
    assert Notification.objects.filter(
        kind="subprocessors.objection_raised", recipient="privacy@processor.test"
    ).exists()


def test_objection_after_the_effective_date_is_refused():
    change = SubprocessorChangeFactory()
    with pytest.raises(ValidationError, match="objection period for this change ended"):
        objection_raise(
            change=change,
            controller=ControllerFactory(),
            reason="Too late",
            by=None,
            now=change.effective_at + timedelta(minutes=1),
        )
    assert not Objection.objects.exists()


def test_a_controller_objecting_twice_is_refused():
    change = SubprocessorChangeFactory()
    controller = ControllerFactory()
    objection_raise(change=change, controller=controller, reason="No", by=None)
    with pytest.raises(ValidationError, match="already objected"):
        objection_raise(change=change, controller=controller, reason="Still no", by=None)
    assert Objection.objects.count() == 1


def test_an_objection_without_a_reason_is_refused():
    with pytest.raises(ValidationError, match="reason"):
        objection_raise(
            change=SubprocessorChangeFactory(), controller=ControllerFactory(), reason=" ", by=None
        )


def test_resolving_an_objection_records_the_outcome_and_tells_the_controller(officer):
    objection = ObjectionFactory()
    objection_resolve(
        objection=objection,
        status=Objection.Status.UPHELD,
        resolution="Your data stays in the EU.",
        consequence=Objection.Consequence.NOT_USED,
        by=officer,
    )
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD
    assert objection.resolved_at is not None
    assert objection.history.latest().history_user == officer
    assert Notification.objects.filter(
        kind="subprocessors.objection_resolved", recipient=objection.controller.contact_email
    ).exists()
    with pytest.raises(ValidationError, match="cannot go from upheld to rejected"):
        objection_resolve(objection=objection, status="rejected", resolution="x", by=officer)


def test_resolving_without_a_resolution_is_refused(officer):
    with pytest.raises(ValidationError, match="resolution"):
        objection_resolve(
            objection=ObjectionFactory(), status=Objection.Status.REJECTED, resolution="", by=None
        )


def test_cancelling_a_change_closes_its_open_objections_and_tells_customers(
    officer, django_capture_on_commit_callbacks
):
    controller = ControllerFactory()
    objection = ObjectionFactory(controller=controller)
    change = objection.change
    with django_capture_on_commit_callbacks(execute=True):
        subprocessor_change_cancel(change=change, reason="We chose another provider.", by=officer)

    change.refresh_from_db()
    objection.refresh_from_db()
    assert change.status == SubprocessorChange.Status.CANCELLED
    assert objection.status == Objection.Status.RESOLVED
    assert "cancelled" in objection.resolution
    assert Notification.objects.filter(
        kind="subprocessors.change_cancelled", recipient=controller.contact_email
    ).exists()
    with pytest.raises(ValidationError, match="is already cancelled"):
        subprocessor_change_cancel(change=change, by=officer)


def test_applying_due_changes_updates_the_register_once():
    now = timezone.now()
    added = SubprocessorChangeFactory(announced_at=now - timedelta(days=40))
    leaving = SubprocessorFactory()
    removed = SubprocessorChangeFactory(
        kind=Kind.REMOVE, subprocessor=leaving, announced_at=now - timedelta(days=35)
    )
    old, new = SubprocessorFactory(), proposed()
    replaced = SubprocessorChangeFactory(
        kind=Kind.REPLACE, subprocessor=new, replaces=old, announced_at=now - timedelta(days=32)
    )
    later = SubprocessorChangeFactory()

    applied = subprocessor_changes_apply(now=now)

    assert {c.pk for c in applied} == {added.pk, removed.pk, replaced.pk}
    for change in (added, removed, replaced, later):
        change.refresh_from_db()
    assert later.status == SubprocessorChange.Status.ANNOUNCED
    assert added.status == removed.status == SubprocessorChange.Status.EFFECTIVE
    added.subprocessor.refresh_from_db()
    assert added.subprocessor.status == Subprocessor.Status.ACTIVE
    assert added.subprocessor.engaged_on == timezone.localdate(added.effective_at)
    leaving.refresh_from_db()
    assert leaving.status == Subprocessor.Status.RETIRED
    assert leaving.retired_on == timezone.localdate(removed.effective_at)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (Subprocessor.Status.RETIRED, Subprocessor.Status.ACTIVE)

    assert subprocessor_changes_apply(now=now) == []


def test_the_command_dry_run_changes_nothing_and_prints_a_summary():
    change = SubprocessorChangeFactory(announced_at=timezone.now() - timedelta(days=40))
    ObjectionFactory(change=change)
    out = StringIO()
    call_command("apply_subprocessor_changes", "--dry-run", stdout=out)
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.ANNOUNCED
    assert "1 subprocessor change(s) would apply; 1 objection(s) to them still open" in (
        out.getvalue()
    )

    out = StringIO()
    call_command("apply_subprocessor_changes", stdout=out)
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.EFFECTIVE
    assert "1 subprocessor change(s) applied" in out.getvalue()


def test_upcoming_changes_are_announced_ones_still_in_the_future():
    upcoming = SubprocessorChangeFactory()
    SubprocessorChangeFactory(announced_at=timezone.now() - timedelta(days=40))
    SubprocessorChangeFactory(status=SubprocessorChange.Status.CANCELLED)
    assert list(subprocessor_changes_upcoming()) == [upcoming]


def announce_form(subprocessor, effective_at):
    return {
        "kind": "add",
        "subprocessor": subprocessor.pk,
        "replaces": "",
        "description": "We add a CDN.",
        "effective_at_0": effective_at.strftime("%Y-%m-%d"),
        "effective_at_1": effective_at.strftime("%H:%M:%S"),
        "objections-TOTAL_FORMS": "0",
        "objections-INITIAL_FORMS": "0",
        "objections-MIN_NUM_FORMS": "0",
        "objections-MAX_NUM_FORMS": "1000",
    }


def test_admin_add_form_shows_the_notice_period_error_and_writes_nothing(officer_client):
    ControllerFactory()
    url = reverse("admin:subprocessors_subprocessorchange_add")
    response = officer_client.post(
        url, announce_form(proposed(), timezone.now() + timedelta(days=5))
    )
    assert response.status_code == 200
    assert "no sooner than 30 days" in response.content.decode()
    assert not SubprocessorChange.objects.exists()
    assert not Notification.objects.exists()


def test_admin_add_form_announces_and_emails_customers(
    officer_client, officer, django_capture_on_commit_callbacks
):
    controller = ControllerFactory()
    url = reverse("admin:subprocessors_subprocessorchange_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            url, announce_form(proposed(), timezone.now() + timedelta(days=45))
        )
    assert response.status_code == 302
    change = SubprocessorChange.objects.get()
    assert change.history.latest().history_user == officer
    assert Notification.objects.filter(recipient=controller.contact_email).exists()


def test_admin_cancel_action_cancels_the_change(officer_client):
    change = SubprocessorChangeFactory()
    response = officer_client.post(
        reverse("admin:subprocessors_subprocessorchange_changelist"),
        {"action": "cancel_changes", "_selected_action": [change.pk]},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == SubprocessorChange.Status.CANCELLED


def test_admin_resolving_an_objection_without_resolution_shows_an_error(officer_client):
    objection = ObjectionFactory()
    url = reverse("admin:subprocessors_objection_change", args=[objection.pk])
    response = officer_client.post(url, {"status": "rejected", "resolution": ""})
    assert response.status_code == 200
    assert "Write the resolution" in response.content.decode()
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN

    response = officer_client.post(url, {"status": "rejected", "resolution": "Needed for CDN."})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == Objection.Status.REJECTED
