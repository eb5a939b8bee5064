"""The customer portal's data-subject request pages, backed by the dsar services."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.core.legaltime import format_instant
from apps.dsar.models import DsarPropagation, DsarTicket, DsarTimelineEntry
from apps.dsar.services import (
    dsar_attachment_add,
    dsar_reply_add,
    dsar_ticket_submit,
    dsar_ticket_transition,
)
from apps.notifications.models import Notification
from tests.clock import freeze_now
from tests.factories import DsarTicketFactory, StaffFactory, SubprocessorFactory
from tests.portal.html import assert_accessible

pytestmark = pytest.mark.django_db

Status = DsarTicket.Status
SUBMIT = reverse("portal:dsar_ticket_submit")
LIST = reverse("portal:dsar_ticket_list")


def detail_url(ticket):
    return reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})


def withdraw_url(ticket):
    return reverse("portal:dsar_ticket_withdraw", kwargs={"ticket_reference": ticket.reference})


def download_url(attachment):
    return reverse(
        "portal:dsar_attachment_download",
        kwargs={"ticket_reference": attachment.ticket.reference, "attachment_id": attachment.pk},
    )


def form_data(**overrides):
    received = timezone.now() - timedelta(days=3)
    data = {
        "request_type": "erasure",
        "data_subject_identifier": "user-1234",
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "details": "Delete the account and its uploads.",
        "submission_token": "token-from-the-rendered-form",
    }
    data.update(overrides)
    return data


def attach(ticket, *, visible, name="answer.txt", content=b"Here is the data we hold."):
    return dsar_attachment_add(
        ticket=ticket,
        uploaded_by=None,
        upload=SimpleUploadedFile(name, content),
        visible_to_customer=visible,
    )


@pytest.fixture
def ticket(controller_a, owner):
    return dsar_ticket_submit(
        controller=controller_a,
        submitted_by=owner,
        request_type="access",
        data_subject_identifier="user-42",
        received_at=timezone.now() - timedelta(days=1),
    )


# --- submitting -------------------------------------------------------------------------------


def test_the_form_carries_a_fresh_hidden_submission_token_and_is_accessible(client, member):
    client.force_login(member)
    first = client.get(SUBMIT)
    second = client.get(SUBMIT)
    token = first.context["form"]["submission_token"].value()
    assert len(token) >= 32
    assert token != second.context["form"]["submission_token"].value()
    assert f'type="hidden" name="submission_token" value="{token}"' in first.content.decode()
    page = assert_accessible(first)
    assert {attrs["name"] for _, attrs in page.fields} == {
        "request_type",
        "data_subject_identifier",
        "received_at",
        "details",
    }


def test_a_member_submits_a_request_and_lands_on_its_page(
    client, member, controller_a, support_agent
):
    client.force_login(member)
    response = client.post(SUBMIT, form_data(), follow=True)
    ticket = DsarTicket.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(ticket)
    assert ticket.controller == controller_a
    assert ticket.submitted_by == member
    assert ticket.request_type == "erasure"
    assert ticket.data_subject_identifier == "user-1234"
    assert ticket.history.latest().history_user == member
    assert f"Request {ticket.reference} is submitted" in response.content.decode()
    assert Notification.objects.filter(kind="dsar.submitted").exists()


def test_submitting_the_same_form_twice_makes_one_ticket(client, member):
    client.force_login(member)
    client.post(SUBMIT, form_data())
    response = client.post(SUBMIT, form_data(), follow=True)
    ticket = DsarTicket.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(ticket)
    assert f"already submitted as {ticket.reference}" in response.content.decode()
    client.post(SUBMIT, form_data(submission_token="another-form"))
    assert DsarTicket.objects.count() == 2


def test_a_receipt_in_the_future_is_refused_on_its_field(client, member):
    client.force_login(member)
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(SUBMIT, form_data(received_at=future))
    assert response.status_code == 200
    assert response.context["form"].errors["received_at"] == [
        "The date of receipt cannot be in the future."
    ]
    assert_accessible(response)
    assert 'aria-describedby="id_received_at_helptext id_received_at_error"' in (
        response.content.decode()
    )
    assert not DsarTicket.objects.exists()


def test_an_unknown_type_of_request_is_refused_on_its_field(client, member):
    client.force_login(member)
    response = client.post(SUBMIT, form_data(request_type="be_forgotten_twice"))
    assert response.context["form"].errors["request_type"] == [
        "Choose one of the listed types of request."
    ]
    assert_accessible(response)
    assert not DsarTicket.objects.exists()


def test_missing_fields_and_an_unreadable_date_are_refused_without_a_500(client, member):
    client.force_login(member)
    response = client.post(
        SUBMIT, form_data(data_subject_identifier="   ", received_at="yesterday-ish")
    )
    errors = response.context["form"].errors
    assert set(errors) == {"data_subject_identifier", "received_at"}
    assert not DsarTicket.objects.exists()


def test_a_refusal_of_the_service_lands_on_the_form(client, member, controller_a):
    controller_a.status = controller_a.Status.TERMINATED
    controller_a.terminated_on = timezone.now().date()
    controller_a.save()
    client.force_login(member)
    response = client.post(SUBMIT, form_data())
    assert "agreement has ended" in response.content.decode()
    assert not DsarTicket.objects.exists()


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_the_deadline_with_extension_and_days_left_or_overdue(
    client, owner, controller_a, monkeypatch
):
    freeze_now(monkeypatch)  # Tuesday 10 Mar 2026, noon UTC; controller_a is in Ireland
    # Due Monday 30 Mar (28 Mar is a Saturday), and Monday 2 Mar (28 Feb is a Saturday).
    soon = DsarTicketFactory(
        controller=controller_a, received_at=datetime(2026, 2, 28, 9, tzinfo=UTC)
    )
    late = DsarTicketFactory(
        controller=controller_a, received_at=datetime(2026, 1, 28, 9, tzinfo=UTC)
    )
    extended = DsarTicketFactory(
        controller=controller_a,
        received_at=datetime(2026, 1, 28, 9, tzinfo=UTC),
        extension_months=2,
        extension_reason="Complex request.",
    )
    client.force_login(owner)
    content = client.get(LIST).content.decode()
    assert soon.reference in content and late.reference in content
    assert "20 days left" in content
    assert "8 days overdue" in content
    assert "(extended by 2 months)" in content
    # 28 Apr, a Tuesday, at the end of the day in Dublin (IST, UTC+1 in summer time).
    assert "28 Apr 2026, 23:59 IST" in content
    assert extended.due_at.astimezone(controller_a.zone).strftime("%-d %b %Y") in content


def test_the_list_filters_open_and_closed_requests(client, owner, controller_a):
    open_ticket = DsarTicketFactory(controller=controller_a)
    closed = DsarTicketFactory(controller=controller_a, status=Status.COMPLETED)
    client.force_login(owner)
    content_open = client.get(LIST, {"status": "open"}).content.decode()
    content_closed = client.get(LIST, {"status": "closed"}).content.decode()
    content_all = client.get(LIST, {"status": "nonsense"}).content.decode()
    assert open_ticket.reference in content_open and closed.reference not in content_open
    assert closed.reference in content_closed and open_ticket.reference not in content_closed
    assert open_ticket.reference in content_all and closed.reference in content_all


def test_the_list_pages_keep_the_filter(client, owner, controller_a, settings):
    settings.PORTAL_PAGE_SIZE = 2
    DsarTicketFactory.create_batch(3, controller=controller_a)
    client.force_login(owner)
    response = client.get(LIST, {"status": "open"})
    assert 'href="?status=open&amp;page=2"' in response.content.decode()
    assert len(client.get(LIST, {"status": "open", "page": 2}).context["page"].object_list) == 1


def test_another_controllers_tickets_are_not_listed(client, owner, controller_b):
    other = DsarTicketFactory(controller=controller_b)
    client.force_login(owner)
    assert other.reference not in client.get(LIST).content.decode()


# --- one ticket -------------------------------------------------------------------------------


def test_the_ticket_page_shows_what_the_customer_may_see_and_never_an_internal_note(
    client, owner, ticket
):
    agent = StaffFactory()
    dsar_reply_add(
        ticket=ticket, author=agent, body="Internal: check the logs", visible_to_customer=False
    )
    dsar_reply_add(ticket=ticket, author=agent, body="We are on it.", visible_to_customer=True)
    dsar_ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, by=agent)
    visible = attach(ticket, visible=True, name="export.txt")
    internal = attach(ticket, visible=False, name="working-notes.txt")
    client.force_login(owner)
    response = client.get(detail_url(ticket))
    content = response.content.decode()
    assert "We are on it." in content
    assert "Internal: check the logs" not in content
    assert "New → In progress" in content
    assert download_url(visible) in content and "export.txt" in content
    assert download_url(internal) not in content and "working-notes.txt" not in content
    assert agent.email not in content  # staff appear as the team
    assert_accessible(response)


def test_the_ticket_page_shows_the_extension_and_its_reason(client, owner, controller_a):
    ticket = DsarTicketFactory(
        controller=controller_a, extension_months=1, extension_reason="Many systems to search."
    )
    client.force_login(owner)
    content = client.get(detail_url(ticket)).content.decode()
    assert "By 1 month" in content
    assert "Many systems to search." in content
    # Whom the customer tells by when: the end of the first month, in the controller's zone.
    inform_by = format_instant(ticket.statutory_due_at, controller_a.zone, zone_name=True)
    assert f"Tell the data subject by</dt>\n    <dd><strong>{inform_by}</strong>" in content


def test_the_ticket_page_shows_propagation_per_subprocessor(client, owner, controller_a):
    ticket = DsarTicketFactory(controller=controller_a, request_type="erasure")
    DsarPropagation.objects.create(
        ticket=ticket,
        subprocessor=SubprocessorFactory(name="Resend"),
        status="done",
        note="Internal ticket #991",
    )
    client.force_login(owner)
    content = client.get(detail_url(ticket)).content.decode()
    assert '<th scope="row">Resend</th><td>Done</td>' in content
    assert "Internal ticket #991" not in content


def test_a_member_replies_and_staff_are_told(client, member, ticket, support_agent):
    client.force_login(member)
    response = client.post(
        detail_url(ticket), {"body": "The user also asked for logs."}, follow=True
    )
    entry = ticket.timeline.get(kind=DsarTimelineEntry.Kind.REPLY)
    assert entry.author == member and entry.visible_to_customer
    assert "The user also asked for logs." in response.content.decode()
    assert Notification.objects.filter(kind="dsar.customer_reply").exists()


def test_an_empty_reply_is_refused_on_its_field(client, member, ticket):
    client.force_login(member)
    response = client.post(detail_url(ticket), {"body": "  "})
    assert response.context["reply_form"].errors["body"] == ["Write your reply first."]
    assert_accessible(response)
    assert not ticket.timeline.filter(kind=DsarTimelineEntry.Kind.REPLY).exists()


def test_a_closed_ticket_offers_no_reply_and_refuses_one(client, member, ticket):
    dsar_ticket_transition(ticket=ticket, to=Status.WITHDRAWN, by=member)
    client.force_login(member)
    assert 'name="body"' not in client.get(detail_url(ticket)).content.decode()
    response = client.post(detail_url(ticket), {"body": "Hello?"}, follow=True)
    assert "is closed; it takes no more replies" in response.content.decode()
    assert not ticket.timeline.filter(kind=DsarTimelineEntry.Kind.REPLY).exists()


# --- withdrawing ------------------------------------------------------------------------------


def test_a_member_withdraws_a_request_through_the_workflow(client, member, ticket):
    client.force_login(member)
    page = client.get(withdraw_url(ticket))
    assert_accessible(page)
    response = client.post(withdraw_url(ticket), {"note": "The user took it back."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.WITHDRAWN
    assert ticket.closed_at is not None
    entry = ticket.timeline.get(kind=DsarTimelineEntry.Kind.STATUS)
    assert entry.author == member and entry.body == "The user took it back."
    assert f"Request {ticket.reference} is withdrawn." in response.content.decode()
    assert "Withdraw this request" not in response.content.decode()


def test_a_completed_request_cannot_be_withdrawn(client, member, controller_a):
    ticket = DsarTicketFactory(controller=controller_a, status=Status.COMPLETED)
    client.force_login(member)
    assert "can no longer be withdrawn" in client.get(withdraw_url(ticket)).content.decode()
    response = client.post(withdraw_url(ticket), follow=True)
    assert "cannot go from completed to withdrawn" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.COMPLETED


# --- attachments ------------------------------------------------------------------------------


def test_a_visible_attachment_downloads_through_the_portal(client, owner, ticket):
    attachment = attach(ticket, visible=True, name="export.txt", content=b"the data")
    client.force_login(owner)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the data"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_an_auditor_may_download_a_visible_attachment(client, auditor, ticket):
    attachment = attach(ticket, visible=True)
    client.force_login(auditor)
    assert client.get(download_url(attachment)).status_code == 200


def test_an_internal_attachment_is_a_404(client, owner, ticket):
    attachment = attach(ticket, visible=False)
    client.force_login(owner)
    assert client.get(download_url(attachment)).status_code == 404


def test_another_controllers_attachment_is_a_404_even_under_an_own_ticket(
    client, owner, ticket, controller_b
):
    theirs = attach(DsarTicketFactory(controller=controller_b), visible=True)
    client.force_login(owner)
    assert client.get(download_url(theirs)).status_code == 404
    under_own = reverse(
        "portal:dsar_attachment_download",
        kwargs={"ticket_reference": ticket.reference, "attachment_id": theirs.pk},
    )
    assert client.get(under_own).status_code == 404


# --- auditors read only -----------------------------------------------------------------------


def test_an_auditor_sees_no_forms_and_cannot_submit_reply_or_withdraw(client, auditor, ticket):
    client.force_login(auditor)
    listing = client.get(LIST).content.decode()
    assert SUBMIT not in listing
    assert 'name="request_type"' not in client.get(SUBMIT).content.decode()
    detail = client.get(detail_url(ticket)).content.decode()
    assert 'name="body"' not in detail
    assert withdraw_url(ticket) not in detail
    assert 'name="note"' not in client.get(withdraw_url(ticket)).content.decode()

    assert client.post(SUBMIT, form_data()).status_code == 403
    assert client.post(detail_url(ticket), {"body": "Hi"}).status_code == 403
    assert client.post(withdraw_url(ticket)).status_code == 403
    assert DsarTicket.objects.count() == 1
    assert not ticket.timeline.filter(kind=DsarTimelineEntry.Kind.REPLY).exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


# --- query counts -----------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_with_2_and_50_tickets(
    client, owner, controller_a, django_assert_num_queries
):
    client.force_login(owner)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 count of the organisation's tickets, 6 the page of tickets with their
    # controllers, 7 release; no session save within SESSION_REFRESH_SECONDS of the sign-in.
    DsarTicketFactory.create_batch(2, controller=controller_a)
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200
    DsarTicketFactory.create_batch(48, controller=controller_a)
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200


def test_the_list_query_count(client, owner, controller_a, django_assert_num_queries):
    DsarTicketFactory.create_batch(30, controller=controller_a)
    client.force_login(owner)
    # session, user, savepoint (ATOMIC_REQUESTS), current memberships with their controllers,
    # count of the tickets, the page of tickets, release savepoint; no session save within
    # SESSION_REFRESH_SECONDS of the sign-in.
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 25


def test_the_ticket_page_costs_the_same_queries_with_2_and_50_entries(
    client, owner, controller_a, django_assert_num_queries
):
    ticket = DsarTicketFactory(controller=controller_a, request_type="erasure")
    agent = StaffFactory()

    def add(n):
        for _ in range(n):
            dsar_reply_add(ticket=ticket, author=agent, body="Update", visible_to_customer=True)
            attach(ticket, visible=True)
            DsarPropagation.objects.create(ticket=ticket, subprocessor=SubprocessorFactory())

    client.force_login(owner)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 the ticket (by reference, in this organisation) with its controller,
    # 6 its propagations with their subprocessors, 7 its attachments the customer may see,
    # 8 the timeline the customer may see with its authors, 9 release; no session save within
    # SESSION_REFRESH_SECONDS of the sign-in.
    add(2)
    with django_assert_num_queries(9):
        assert client.get(detail_url(ticket)).status_code == 200
    add(48)
    with django_assert_num_queries(9):
        assert client.get(detail_url(ticket)).status_code == 200
