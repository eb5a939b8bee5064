from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.roles import SUPPORT_AGENT
from apps.core.models import ReferenceCounter
from apps.dsar.deadlines import dsar_calendar_for
from apps.dsar.models import DsarPropagation, DsarTicket
from apps.notifications.models import Notification
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_references_count_up_per_year_and_are_never_reused_after_deletion(submit):
    year = timezone.now().year
    first = submit()
    second = submit()
    assert (first.reference, second.reference) == (f"DSAR-{year}-0001", f"DSAR-{year}-0002")
    second.delete()
    assert submit().reference == f"DSAR-{year}-0003"
    assert ReferenceCounter.objects.get(prefix="DSAR", year=year).last_number == 3


def test_submission_sets_the_clocks(submit, settings):
    settings.DSAR_RESPONSE_TARGET_DAYS = 10
    ticket = submit()
    assert ticket.status == "new"
    calendar = dsar_calendar_for(controller=ticket.controller)
    assert ticket.statutory_due_at == calendar.end(ticket.received_at, 1) == ticket.due_at
    assert ticket.response_target_at - ticket.submitted_at == timedelta(days=10)


@pytest.mark.parametrize("request_type", ["erasure", "rectification", "restriction"])
def test_propagated_types_get_one_row_per_subprocessor_of_approved_activities(
    submit, subprocessors, request_type
):
    ticket = submit(request_type=request_type)
    rows = ticket.propagations.order_by("subprocessor__name")
    assert [r.subprocessor.name for r in rows] == ["Resend", "Stripe"]
    assert {r.status for r in rows} == {DsarPropagation.Status.PENDING}


@pytest.mark.parametrize("request_type", ["access", "portability", "objection"])
def test_other_types_get_no_propagation_rows(submit, subprocessors, request_type):
    assert not submit(request_type=request_type).propagations.exists()


def test_new_ticket_is_told_to_every_support_agent_when_unassigned(submit):
    agents = {StaffFactory(role=SUPPORT_AGENT).email for _ in range(2)}
    StaffFactory()  # staff without the role hears nothing
    ticket = submit()
    sent = Notification.objects.filter(kind="dsar.submitted")
    assert set(sent.values_list("recipient", flat=True)) == agents
    # The data subject's identifier never goes into an email.
    assert all(ticket.data_subject_identifier not in n.body for n in sent)


def test_double_submission_with_the_same_token_makes_one_ticket(submit):
    StaffFactory(role=SUPPORT_AGENT)
    first = submit(submission_token="form-abc")
    again = submit(submission_token="form-abc")
    assert again.pk == first.pk
    assert DsarTicket.objects.count() == 1
    assert Notification.objects.filter(kind="dsar.submitted").count() == 1
    assert submit(submission_token="form-def").pk != first.pk


def test_receipt_in_the_future_is_refused_and_nothing_is_saved(submit):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        submit(received_at=timezone.now() + timedelta(hours=1))
    assert not DsarTicket.objects.exists()
    assert not ReferenceCounter.objects.filter(prefix="DSAR").exists()


def test_unknown_request_type_is_refused_and_nothing_is_saved(submit, subprocessors):
    with pytest.raises(ValidationError, match="not a type of request"):
        submit(request_type="deletion")
    assert not DsarTicket.objects.exists()
    assert not DsarPropagation.objects.exists()
    assert not Notification.objects.exists()


def test_missing_identifier_is_refused(submit):
    with pytest.raises(ValidationError, match="how the data subject is known"):
        submit(data_subject_identifier="   ")


def test_failure_after_the_ticket_row_leaves_nothing_half_saved(submit, subprocessors, monkeypatch):
    from apps.dsar import services

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "notification_enqueue", broken)
    with pytest.raises(RuntimeError):
        submit(request_type="erasure")
    assert not DsarTicket.objects.exists()
    assert not DsarPropagation.objects.exists()
    assert DsarTicket.history.count() == 0


def test_outsider_and_read_only_member_cannot_submit(submit, outsider, controller):
    with pytest.raises(ValidationError, match="cannot act"):
        submit(submitted_by=outsider)
    auditor = MembershipFactory(
        controller=controller, role="auditor", expires_at=timezone.now() + timedelta(days=5)
    ).user
    with pytest.raises(ValidationError, match="cannot act"):
        submit(submitted_by=auditor)
    assert not DsarTicket.objects.exists()


def test_for_controller_returns_only_that_controllers_tickets(submit, controller):
    from tests.factories import DsarTicketFactory

    mine = submit()
    DsarTicketFactory()
    assert list(DsarTicket.objects.for_controller(controller)) == [mine]
