"""Deletion at a customer's request: cooling-off, cancellation, confirmation, erasure, certificate."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.controllers.models import Controller, Membership
from apps.dsar.models import SCRUBBED, DsarAttachment, DsarTicket
from apps.dsar.services import dsar_attachment_add
from apps.notifications.models import Notification
from apps.offboarding.models import DeletionRequest
from apps.offboarding.services import (
    DELETION_TRANSITIONS,
    deletion_request_cancel,
    deletion_request_confirm,
    deletion_request_create,
    deletion_request_execute,
    deletion_request_transition,
)
from apps.trail.models import TrailScrub
from tests.factories import (
    BreachNotificationFactory,
    DataExportFactory,
    DeletionRequestFactory,
    DsarTicketFactory,
    MembershipFactory,
)

Status = DeletionRequest.Status
REQUEST_URL = reverse("portal:deletion_request")
CHANGELIST = reverse("admin:offboarding_deletionrequest_changelist")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_wrong_confirmation_is_refused_and_nothing_is_saved(client, owner):
    client.force_login(owner)
    response = client.post(REQUEST_URL, {"confirmation": "alpha apps"})
    assert response.status_code == 200
    assert "Type the organisation&#x27;s legal name, Alpha Apps Ltd, exactly." in (
        response.content.decode()
    )
    assert not DeletionRequest.objects.exists()


def test_an_admin_requests_deletion_and_the_cooling_off_starts(client, owner, controller_a):
    client.force_login(owner)
    response = client.post(REQUEST_URL, {"confirmation": "Alpha Apps Ltd"}, follow=True)
    assert "Any admin of your organisation can cancel it until" in messages_of(response)
    deletion = DeletionRequest.objects.get()
    assert deletion.status == Status.COOLING_OFF
    assert deletion.requested_by == owner
    expected_end = deletion.requested_at + timedelta(days=14)
    assert deletion.cooling_off_ends_at == expected_end
    reasons = list(deletion.history.order_by("history_id").values_list("history_change_reason"))
    assert reasons == [("offboarding.deletion.requested",), ("offboarding.deletion.cooling_off",)]
    assert Notification.objects.filter(
        kind="offboarding.deletion_requested", recipient=owner.email
    ).exists()


def test_a_second_request_while_one_is_pending_is_refused(client, owner, controller_a):
    DeletionRequestFactory(controller=controller_a)
    client.force_login(owner)
    response = client.post(REQUEST_URL, {"confirmation": "Alpha Apps Ltd"}, follow=True)
    assert "A deletion request for Alpha Apps Ltd is already pending" in messages_of(response)
    assert DeletionRequest.objects.count() == 1


def test_the_database_refuses_two_pending_requests_for_one_controller(controller_a):
    DeletionRequestFactory(controller=controller_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeletionRequestFactory(controller=controller_a, status=Status.CONFIRMED)
    # A cancelled one does not count.
    DeletionRequestFactory(controller=controller_a, status=Status.CANCELLED)


def test_members_and_auditors_cannot_request_deletion(client, member, auditor):
    for user in (member, auditor):
        client.force_login(user)
        assert client.post(REQUEST_URL, {"confirmation": "Alpha Apps Ltd"}).status_code == 403
    assert not DeletionRequest.objects.exists()


def test_another_admin_cancels_during_the_cooling_off(client, owner, controller_a):
    deletion = deletion_request_create(
        controller=controller_a, confirmation="Alpha Apps Ltd", by=owner
    )
    colleague = MembershipFactory(controller=controller_a, role=Membership.Role.ADMIN).user
    client.force_login(colleague)
    url = reverse("portal:deletion_cancel", kwargs={"deletion_id": deletion.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, follow=True)
    assert "cancelled. Nothing was erased." in messages_of(response)
    deletion.refresh_from_db()
    assert (deletion.status, deletion.cancelled_by) == (Status.CANCELLED, colleague)
    assert deletion.history.first().history_change_reason == "offboarding.deletion.cancelled"
    # Cancelling again is refused with a message; a new request is allowed.
    response = client.post(url, follow=True)
    assert "is already cancelled" in messages_of(response)
    assert deletion_request_create(controller=controller_a, confirmation="Alpha Apps Ltd", by=owner)


def test_confirmation_before_the_end_of_the_cooling_off_is_refused(officer, controller_a):
    deletion = DeletionRequestFactory(controller=controller_a)
    with pytest.raises(ValidationError, match="cooling-off period .* ends"):
        deletion_request_confirm(request=deletion, by=officer)
    deletion.refresh_from_db()
    assert deletion.status == Status.COOLING_OFF


def test_the_admin_action_before_the_end_shows_the_refusal(officer_client, controller_a):
    deletion = DeletionRequestFactory(controller=controller_a)
    response = officer_client.post(
        CHANGELIST,
        {"action": "confirm_and_erase", "_selected_action": [deletion.pk]},
        follow=True,
    )
    assert "it can be confirmed only after that" in messages_of(response)
    deletion.refresh_from_db()
    assert deletion.status == Status.COOLING_OFF


def test_a_support_agent_cannot_reach_or_confirm_deletions(client, support_agent, controller_a):
    deletion = DeletionRequestFactory(
        controller=controller_a, cooling_off_ends_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(support_agent)
    assert client.get(CHANGELIST).status_code == 403
    response = client.post(
        CHANGELIST, {"action": "confirm_and_erase", "_selected_action": [deletion.pk]}
    )
    assert response.status_code == 403
    with pytest.raises(ValidationError, match="Only a Privacy Officer"):
        deletion_request_confirm(request=deletion, by=support_agent)
    deletion.refresh_from_db()
    assert deletion.status == Status.COOLING_OFF


def test_every_move_outside_the_table_is_refused(controller_a, officer):
    for status, allowed in DELETION_TRANSITIONS.items():
        for target in set(Status.values) - allowed:
            deletion = DeletionRequest(controller=controller_a, status=status)
            with pytest.raises(ValidationError):
                deletion_request_transition(request=deletion, to=target, by=officer, reason="x")
    assert DELETION_TRANSITIONS[Status.COMPLETED] == frozenset()


def test_a_cancelled_request_cannot_be_confirmed(officer, controller_a, owner):
    deletion = DeletionRequestFactory(
        controller=controller_a, cooling_off_ends_at=timezone.now() - timedelta(days=1)
    )
    deletion_request_cancel(request=deletion, by=owner)
    with pytest.raises(ValidationError, match="cannot go from cancelled to confirmed"):
        deletion_request_confirm(request=deletion, by=officer)


@pytest.fixture
def data_of_a(controller_a, controller_b, owner, member, officer):
    """Tickets with an attachment, a user only of A (owner), one also of B (member), a breach."""
    ticket = DsarTicketFactory(
        controller=controller_a, data_subject_identifier="jane@end.user", details="Jane's account"
    )
    ticket.data_subject_identifier = "jane.doe@end.user"  # a second history row to scrub
    ticket.save()
    upload = SimpleUploadedFile("jane-id.pdf", b"%PDF-1.4 jane", content_type="application/pdf")
    attachment = dsar_attachment_add(ticket=ticket, uploaded_by=officer, upload=upload)
    MembershipFactory(user=member, controller=controller_b, role=Membership.Role.MEMBER)
    of_b = DsarTicketFactory(controller=controller_b, data_subject_identifier="bob@bravo.user")
    notice = BreachNotificationFactory(
        controller=controller_a, sent_at=timezone.now(), channel="email"
    )
    export = DataExportFactory(controller=controller_a, ready=True)
    return {
        "ticket": ticket,
        "attachment": attachment,
        "ticket_of_b": of_b,
        "notice": notice,
        "export": export,
    }


def erase_through_the_admin(officer_client, controller_a, capture_on_commit):
    """Confirm and erase through the admin's action; the erasure is a job, run here as a worker
    would once the request has committed."""
    deletion = DeletionRequestFactory(
        controller=controller_a, cooling_off_ends_at=timezone.now() - timedelta(minutes=1)
    )
    with capture_on_commit() as callbacks:
        response = officer_client.post(
            CHANGELIST,
            {"action": "confirm_and_erase", "_selected_action": [deletion.pk]},
            follow=True,
        )
    assert "Confirmed, erasure queued: 1 request(s)." in messages_of(response)
    for callback in callbacks:
        callback()
    deletion.refresh_from_db()
    return deletion


def test_after_the_cooling_off_a_privacy_officer_confirms_and_the_data_is_erased(
    officer_client,
    officer,
    controller_a,
    owner,
    member,
    data_of_a,
    django_capture_on_commit_callbacks,
):
    stored = data_of_a["attachment"].file.name
    storage = data_of_a["attachment"].file.storage
    with django_capture_on_commit_callbacks(execute=True):
        deletion = erase_through_the_admin(
            officer_client, controller_a, django_capture_on_commit_callbacks
        )
    deletion.refresh_from_db()

    assert deletion.status == Status.COMPLETED
    assert (deletion.confirmed_by, deletion.completed_at is not None) == (officer, True)
    assert deletion.erased_counts == {
        "dsar_tickets": 1,
        "dsar_subject_identifiers": 1,
        "dsar_files": 1,
        "users": 1,
        "memberships_ended": 2,
        "export_files": 1,
        "document_files": 0,
        # The ticket and its two history rows holding an identifier.
        "copies_erased": 3,
    }
    # Tickets: the identifier and details are gone, from the ticket and every history row.
    ticket = DsarTicket.objects.get(pk=data_of_a["ticket"].pk)
    assert (ticket.data_subject_identifier, ticket.details) == (SCRUBBED, "")
    history = DsarTicket.history.filter(id=ticket.pk)
    assert set(history.values_list("data_subject_identifier", flat=True)) == {SCRUBBED}
    assert set(history.values_list("details", flat=True)) == {""}
    assert TrailScrub.objects.filter(reason="offboarding.dsar_subject_erased").exists()
    # Another controller's ticket is untouched.
    of_b = DsarTicket.objects.get(pk=data_of_a["ticket_of_b"].pk)
    assert of_b.data_subject_identifier == "bob@bravo.user"
    # Files: the row and the file are gone; the history keeps no original name.
    assert not DsarAttachment.objects.exists()
    assert not storage.exists(stored)
    names = DsarAttachment.history.values_list("original_name", flat=True)
    assert set(names) == {SCRUBBED}
    assert not data_of_a["export"].file.storage.exists(data_of_a["export"].file.name)
    # Users: the owner belonged only to A: erased, in history too; the member stays (also of B).
    owner.refresh_from_db()
    assert owner.email == f"erased-{owner.pk}@erased.invalid"
    assert (owner.full_name, owner.is_active, owner.has_usable_password()) == ("", False, False)
    emails = set(User.history.filter(id=owner.pk).values_list("email", flat=True))
    assert emails == {owner.email}
    member.refresh_from_db()
    assert (member.email, member.is_active) == ("member@alpha.test", True)
    assert not Membership.objects.current().filter(controller=controller_a).exists()
    # Kept: legal identity, DPA acceptance, breach notices; the controller is terminated.
    controller = Controller.objects.get(pk=controller_a.pk)
    assert controller.legal_name == "Alpha Apps Ltd"
    assert controller.dpa_accepted_on is not None
    assert (controller.status, controller.terminated_on) == ("terminated", timezone.localdate())
    assert controller.breach_notifications.filter(pk=data_of_a["notice"].pk).exists()
    # Every step is in the trail, and the chain still verifies.
    reasons = set(deletion.history.values_list("history_change_reason", flat=True))
    assert {"offboarding.deletion.confirmed", "offboarding.deletion.completed"} <= reasons
    assert controller.history.first().history_change_reason == "offboarding.controller_terminated"
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert "intact" in out.getvalue()


def test_the_certificate_is_a_pdf_staff_download_and_its_facts_are_mailed(
    officer_client,
    staff_auditor,
    client,
    controller_a,
    data_of_a,
    django_capture_on_commit_callbacks,
):
    deletion = erase_through_the_admin(
        officer_client, controller_a, django_capture_on_commit_callbacks
    )
    url = reverse("admin:offboarding_deletionrequest_certificate", args=[deletion.pk])
    response = officer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    notice = Notification.objects.get(
        kind="offboarding.deletion_certificate", recipient=controller_a.contact_email
    )
    assert "Data-subject request attachment files deleted: 1" in notice.body
    assert "Customer user accounts erased" in notice.body
    assert "SHA-256" in notice.body


def test_the_certificate_lists_the_counts(officer, controller_a, data_of_a):
    from apps.offboarding.services import certificate_pdf

    deletion = DeletionRequestFactory(
        controller=controller_a, cooling_off_ends_at=timezone.now() - timedelta(minutes=1)
    )
    deletion = deletion_request_confirm(request=deletion, by=officer)
    deletion = deletion_request_execute(request=deletion, by=officer)
    assert deletion.certificate.name.startswith("certificates/")
    assert certificate_pdf(request=deletion).startswith(b"%PDF")
    with pytest.raises(ValidationError, match="is already completed"):
        deletion_request_execute(request=deletion, by=officer)
