from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, ROLE_NAMES, SECURITY_LEAD, SUPPORT_AGENT
from apps.dsar.models import DsarTicket
from tests.clock import freeze_now
from tests.factories import DsarTicketFactory, StaffFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:dsar_dsarticket_changelist")
# (add, change, delete) pages: Support Agents and Privacy Officers work tickets, the others read.
EXPECTED = {
    PRIVACY_OFFICER: (200, 200, 200),
    SUPPORT_AGENT: (200, 200, 403),
    SECURITY_LEAD: (403, 200, 403),
    AUDITOR: (403, 200, 403),
}
INLINES = {
    prefix: {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for prefix in ("propagations", "timeline", "pauses", "attachments")
}
EMPTY_INLINES = {k: v for d in INLINES.values() for k, v in d.items()}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_reaches_add_change_delete_as_expected(client, role):
    client.force_login(StaffFactory(role=role))
    ticket = DsarTicketFactory()
    add = client.get(reverse("admin:dsar_dsarticket_add")).status_code
    change = client.get(reverse("admin:dsar_dsarticket_change", args=[ticket.pk]))
    delete = client.get(reverse("admin:dsar_dsarticket_delete", args=[ticket.pk])).status_code
    assert (add, change.status_code, delete) == EXPECTED[role]
    page = change.content.decode()
    assert ('name="_save"' in page) == (EXPECTED[role][0] == 200)
    assert ('name="move_to"' in page) == (EXPECTED[role][0] == 200)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_move_action_works_only_for_roles_that_work_tickets(client, role):
    client.force_login(StaffFactory(role=role))
    ticket = DsarTicketFactory()
    response = client.post(
        CHANGELIST, {"action": "move_to_in_progress", "_selected_action": [ticket.pk]}
    )
    assert response.status_code in (200, 302)
    ticket.refresh_from_db()
    works = role in (PRIVACY_OFFICER, SUPPORT_AGENT)
    assert ticket.status == ("in_progress" if works else "new")


def test_refused_move_is_shown_as_an_error_not_a_500(client, support_agent):
    client.force_login(support_agent)
    ticket = DsarTicketFactory()
    response = client.post(
        CHANGELIST, {"action": "move_to_completed", "_selected_action": [ticket.pk]}, follow=True
    )
    assert response.status_code == 200
    assert any("cannot go from new to completed" in m for m in messages_of(response))
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_assign_to_me_and_to_a_chosen_staff_user(client, support_agent):
    client.force_login(support_agent)
    ticket = DsarTicketFactory(assignee=None)
    client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.assignee == support_agent
    colleague = StaffFactory(role=SUPPORT_AGENT)
    client.post(
        CHANGELIST,
        {"action": "assign_to_chosen", "assignee": colleague.pk, "_selected_action": [ticket.pk]},
    )
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert ticket.history.first().history_change_reason == "dsar.ticket.assigned"


def test_security_lead_cannot_assign(client, security_lead):
    client.force_login(security_lead)
    ticket = DsarTicketFactory(assignee=None)
    client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_add_page_submits_through_the_service(client, support_agent, controller):
    client.force_login(support_agent)
    response = client.post(
        reverse("admin:dsar_dsarticket_add"),
        {
            "controller": controller.pk,
            "request_type": "erasure",
            "data_subject_identifier": "user-9",
            "received_at_0": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d"),
            "received_at_1": "10:00:00",
            "details": "",
            **EMPTY_INLINES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = DsarTicket.objects.get()
    assert ticket.reference.startswith("DSAR-") and ticket.submitted_by == support_agent


def test_add_page_refuses_a_receipt_in_the_future(client, support_agent, controller):
    client.force_login(support_agent)
    response = client.post(
        reverse("admin:dsar_dsarticket_add"),
        {
            "controller": controller.pk,
            "request_type": "access",
            "data_subject_identifier": "user-9",
            "received_at_0": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d"),
            "received_at_1": "10:00:00",
            **EMPTY_INLINES,
        },
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not DsarTicket.objects.exists()


def change_post(client, ticket, **data):
    return client.post(
        reverse("admin:dsar_dsarticket_change", args=[ticket.pk]),
        {"assignee": ticket.assignee_id or "", "resolution": "", **EMPTY_INLINES, **data},
    )


def test_change_form_refuses_a_rejection_without_reason_with_a_form_error(client, support_agent):
    client.force_login(support_agent)
    ticket = DsarTicketFactory()
    response = change_post(client, ticket, move_to="rejected")
    assert response.status_code == 200
    assert "reason for the rejection" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"
    response = change_post(
        client, ticket, move_to="rejected", move_rejection_reason="excessive", move_note="Tenth"
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rejection_reason) == ("rejected", "excessive")


def test_change_form_extension_and_reply(client, support_agent):
    client.force_login(support_agent)
    ticket = DsarTicketFactory()
    response = change_post(client, ticket, extend_to_months="2", extend_reason="")
    assert response.status_code == 200 and "needs a reason" in response.content.decode()
    response = change_post(
        client,
        ticket,
        extend_to_months="2",
        extend_reason="Many systems",
        reply_body="We need more time",
        reply_visible_to_customer="on",
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.extension_months == 2
    assert set(ticket.timeline.values_list("kind", flat=True)) == {"extension", "reply"}


def test_work_queue_shows_days_overdue_and_filters(client, support_agent, monkeypatch):
    freeze_now(monkeypatch)  # Tuesday 10 Mar 2026, noon UTC; the controllers are in Ireland
    client.force_login(support_agent)
    # Due Monday 2 Mar (28 Feb is a Saturday), Monday 16 Mar, Friday 10 Apr.
    late = DsarTicketFactory(received_at=datetime(2026, 1, 28, 10, tzinfo=UTC))
    soon = DsarTicketFactory(received_at=datetime(2026, 2, 16, 10, tzinfo=UTC))
    later = DsarTicketFactory(received_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    page = client.get(CHANGELIST).content.decode()
    assert "8 days overdue" in page and "6 days left" in page and "31 days left" in page
    assert page.index(late.reference) < page.index(soon.reference) < page.index(later.reference)
    overdue = client.get(CHANGELIST, {"deadline": "overdue"}).content.decode()
    assert late.reference in overdue and soon.reference not in overdue
    week = client.get(CHANGELIST, {"deadline": "week"}).content.decode()
    assert soon.reference in week and late.reference not in week and later.reference not in week
    by_assignee = client.get(CHANGELIST, {"assignee__id__exact": late.assignee_id}).content.decode()
    assert late.reference in by_assignee and soon.reference not in by_assignee


def propagation_rows(ticket, statuses: dict) -> dict:
    rows = list(ticket.propagations.order_by("pk"))
    data = {
        **EMPTY_INLINES,
        "propagations-TOTAL_FORMS": str(len(rows)),
        "propagations-INITIAL_FORMS": str(len(rows)),
    }
    for i, row in enumerate(rows):
        data[f"propagations-{i}-id"] = row.pk
        data[f"propagations-{i}-ticket"] = ticket.pk
        data[f"propagations-{i}-status"] = statuses.get(row.subprocessor.name, row.status)
        data[f"propagations-{i}-note"] = ""
    return data


def test_change_page_marks_the_last_propagations_done_and_completes_in_one_save(
    client, support_agent, submit, subprocessors
):
    client.force_login(support_agent)
    ticket = submit(request_type="erasure")
    client.post(CHANGELIST, {"action": "move_to_in_progress", "_selected_action": [ticket.pk]})
    url = reverse("admin:dsar_dsarticket_change", args=[ticket.pk])
    base = {"assignee": "", "resolution": "Erased", "move_to": "completed"}

    # One row still pending: refused with a form error, nothing saved.
    response = client.post(url, {**base, **propagation_rows(ticket, {"Stripe": "done"})})
    assert response.status_code == 200
    assert "propagation to Resend is pending" in response.content.decode()
    assert set(ticket.propagations.values_list("status", flat=True)) == {"pending"}

    # Both rows resolved on the same page: saved first, then the move.
    rows = propagation_rows(ticket, {"Stripe": "done", "Resend": "not_needed"})
    response = client.post(url, {**base, **rows})
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    assert set(ticket.propagations.values_list("status", flat=True)) == {"done", "not_needed"}


def test_each_propagation_row_is_labelled_with_its_subprocessor(
    client, support_agent, submit, subprocessors
):
    client.force_login(support_agent)
    ticket = submit(request_type="erasure")
    page = client.get(reverse("admin:dsar_dsarticket_change", args=[ticket.pk])).content.decode()
    for name in ("Stripe", "Resend"):
        assert f'aria-label="Propagation to {name}: status"' in page
        assert f'aria-label="Propagation to {name}: note"' in page
