"""An erasure leaves nothing behind: a distinctive identifier typed into every free-text field a
customer or a member of staff can reach is found in no byte of a full dump of the database once
the erasure has run through the product's own path, and the audit trail still verifies."""

import io
import os
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.accounts.models import SecurityEvent, User
from apps.controllers.models import Membership
from apps.dsar.erasure import erasure_proof, erasure_proof_matches
from apps.dsar.models import SCRUBBED, DsarTicket
from apps.notifications.models import Notification
from apps.offboarding.models import DeletionRequest
from apps.trail.models import TrailScrub
from tests.conftest import SecondFactorClient
from tests.factories import (
    AuditAccessLogFactory,
    DeletionRequestFactory,
    JobFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

IDENTIFIER = "zq-erase-7f3a@example.org"
# The part no other text shares: any copy of the identifier, whatever its encoding, holds it.
TOKEN = "zq-erase-7f3a"
USER_EMAIL = "zq-user-91c4@example.org"
USER_TOKEN = "zq-user-91c4"
PASSWORD = "a-long-enough-password-1"
INLINES = {
    f"{prefix}-{name}": value
    for prefix in ("propagations", "timeline", "pauses", "attachments")
    for name, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}


def database_dump() -> str:
    """A full pg_dump of the test database, as its owner (MIGRATION_DATABASE_URL's role when
    set, as in CI), with the pg_dump of the server's major version when installed."""
    owner = settings.MIGRATION_DATABASE or connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    binary = f"/usr/lib/postgresql/{major}/bin/pg_dump"
    if not os.path.exists(binary):
        binary = shutil.which("pg_dump") or "pg_dump"
    command = [
        binary,
        "--no-owner",
        "--no-privileges",
        "--dbname",
        connection.settings_dict["NAME"],
    ]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        value = owner.get(key) or connection.settings_dict.get(key)
        if value:
            command += [flag, str(value)]
    env = {**os.environ, "PGPASSWORD": str(owner.get("PASSWORD") or "")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def lines_with(dump: str, token: str) -> list[str]:
    return [line for line in dump.splitlines() if token in line.lower()]


def trail_verifies() -> bool:
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    return "intact" in out.getvalue()


@pytest.fixture
def staff_client(support_agent):
    client = SecondFactorClient()
    client.force_login(support_agent)
    return client


@pytest.fixture
def customer(controller):
    user = MembershipFactory(
        controller=controller, role=Membership.Role.ADMIN, user__email=USER_EMAIL
    ).user
    user.set_password(PASSWORD)
    user.save()
    return user


def change_url(ticket) -> str:
    return reverse("admin:dsar_dsarticket_change", args=[ticket.pk])


def admin_post(client, ticket, **data):
    ticket.refresh_from_db()
    response = client.post(
        change_url(ticket),
        {"assignee": ticket.assignee_id or "", "resolution": ticket.resolution, **INLINES, **data},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def propagation_rows(ticket, *, status: str, note: str) -> dict:
    rows = list(ticket.propagations.order_by("pk"))
    data = {
        "propagations-TOTAL_FORMS": str(len(rows)),
        "propagations-INITIAL_FORMS": str(len(rows)),
    }
    for i, row in enumerate(rows):
        data |= {
            f"propagations-{i}-id": row.pk,
            f"propagations-{i}-ticket": ticket.pk,
            f"propagations-{i}-status": status,
            f"propagations-{i}-note": note,
        }
    return data


def fill_every_field(client, staff_client, customer, controller) -> DsarTicket:
    """A customer submits an erasure and replies; staff reply, note, extend, attach, move it and
    note each propagation; a failed sign-in, an auditor's page, a job and a task result quote
    the identifier too. Every free-text field, in its own case."""
    client.force_login(customer)
    response = client.post(
        reverse("portal:dsar_ticket_submit"),
        {
            "request_type": "erasure",
            "data_subject_identifier": IDENTIFIER,
            "received_at": (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "details": f"Erase the account {IDENTIFIER.upper()} and its uploads.",
            "submission_token": "erasure-form-1",
        },
    )
    assert response.status_code == 302
    ticket = DsarTicket.objects.get(controller=controller)
    detail = reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    response = client.post(detail, {"body": f"{IDENTIFIER} also wrote to support."})
    assert response.status_code == 302

    admin_post(staff_client, ticket, reply_body=f"Internal: {IDENTIFIER.title()} has 3 logins")
    admin_post(
        staff_client,
        ticket,
        reply_body=f"We found {IDENTIFIER} in two systems.",
        reply_visible_to_customer="on",
        attachment_upload=SimpleUploadedFile(f"{IDENTIFIER}.txt", b"account export\n"),
    )
    admin_post(staff_client, ticket, extend_to_months="1", extend_reason=f"Backups of {IDENTIFIER}")
    admin_post(staff_client, ticket, move_to="in_progress", move_note=f"Erasing {IDENTIFIER} now")
    admin_post(
        staff_client,
        ticket,
        resolution=f"Erased {IDENTIFIER} everywhere.",
        move_to="completed",
        move_note=f"{IDENTIFIER} erased.",
        **propagation_rows(ticket, status="done", note=f"Deleted {IDENTIFIER} at the vendor"),
    )

    # Elsewhere: a sign-in typed with the identifier, an auditor's search, a job, a task result.
    stranger = SecondFactorClient()
    stranger.post(reverse("portal:login"), {"username": IDENTIFIER, "password": "wrong"})
    grant_path = f"/portal/requests/?q={quote(IDENTIFIER)}"
    AuditAccessLogFactory(controller=controller, grant__controller=controller, path=grant_path)
    JobFactory(summary=f"Looked up {IDENTIFIER}")
    DBTaskResult.objects.create(
        task_path="apps.notifications.tasks.deliver_notifications",
        args_kwargs={"args": [], "kwargs": {"ids": [1], "to": IDENTIFIER}},
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        status="FAILED",
        exception_class_path="smtplib.SMTPRecipientsRefused",
        traceback=f"SMTPRecipientsRefused: {IDENTIFIER}",
    )
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    return ticket


def test_a_completed_erasure_leaves_the_identifier_in_no_byte_of_the_database(
    client, staff_client, customer, controller, subprocessors, support_agent, settings
):
    ticket = fill_every_field(client, staff_client, customer, controller)
    before = database_dump()
    # The dump sees what was typed: every store the test filled holds it before the erasure.
    assert len(lines_with(before, TOKEN)) >= 20
    assert SecurityEvent.objects.filter(username=IDENTIFIER).exists()
    messages = Notification.objects.filter(related_id=str(ticket.pk))
    assert sum(IDENTIFIER in m.body for m in messages) >= 4  # bodies are encrypted in the dump

    settings.DSAR_SCRUB_AFTER_DAYS = 0
    out = io.StringIO()
    call_command("scrub_dsar_subjects", stdout=out)
    assert "scrubbed 1 ticket(s)" in out.getvalue()

    dump = database_dump()
    assert lines_with(dump, TOKEN) == []
    assert IDENTIFIER.lower() not in dump.lower()
    assert quote(IDENTIFIER).lower() not in dump.lower()
    assert not any(TOKEN in m.body.lower() for m in Notification.objects.all())
    assert trail_verifies()
    assert TrailScrub.objects.filter(reason="dsar.subject_scrubbed").count() >= 15

    # What stays: the erasure, marked in the text, and a keyed hash of the identifier.
    ticket.refresh_from_db()
    assert ticket.data_subject_identifier == SCRUBBED
    assert ticket.details == "Erase the account [erased] and its uploads."
    assert ticket.erased_identifier_hash == erasure_proof(IDENTIFIER)
    assert erasure_proof_matches(
        proof=ticket.erased_identifier_hash, identifier=f" {IDENTIFIER.upper()}"
    )
    assert not erasure_proof_matches(
        proof=ticket.erased_identifier_hash, identifier="someone@else.org"
    )
    attachment = ticket.attachments.get()
    assert attachment.original_name == "[erased].txt"


def test_the_ticket_page_shows_the_proof_and_checks_an_identifier_against_it(
    client, staff_client, customer, controller, subprocessors, support_agent, settings
):
    ticket = fill_every_field(client, staff_client, customer, controller)
    settings.DSAR_SCRUB_AFTER_DAYS = 0
    call_command("scrub_dsar_subjects", stdout=io.StringIO())
    ticket.refresh_from_db()

    page = staff_client.get(change_url(ticket)).content.decode()
    assert "Identifier erased; keyed hash" in page
    assert ticket.erased_identifier_hash.split(":", 1)[1][:16] in page
    check = reverse("admin:dsar_dsarticket_erasure_check", args=[ticket.pk])
    response = staff_client.post(check, {"identifier": IDENTIFIER.upper()}, follow=True)
    assert "matches the erased identifier" in response.content.decode()
    response = staff_client.post(check, {"identifier": "other@example.org"}, follow=True)
    assert "does not match the erased identifier" in response.content.decode()
    response = staff_client.post(check, {"identifier": "  "}, follow=True)
    assert "Type the identifier to check." in response.content.decode()
    # What was typed to check is kept nowhere.
    assert "other@example.org" not in database_dump()


def test_a_customers_deletion_erases_its_subjects_and_its_users_everywhere(
    client, staff_client, customer, controller, subprocessors, support_agent, officer
):
    ticket = fill_every_field(client, staff_client, customer, controller)
    # The customer user's address, typed at a failed sign-in and in mail addressed to it.
    SecondFactorClient().post(reverse("portal:login"), {"username": USER_EMAIL, "password": "no"})
    assert Notification.objects.filter(recipient=USER_EMAIL).exists()
    assert SecurityEvent.objects.filter(username=USER_EMAIL).exists()
    deletion = DeletionRequestFactory(
        controller=controller,
        cooling_off_ends_at=timezone.now() - timedelta(minutes=1),
    )
    officer_client = SecondFactorClient()
    officer_client.force_login(officer)
    response = officer_client.post(
        reverse("admin:offboarding_deletionrequest_changelist"),
        {"action": "confirm_and_erase", "_selected_action": [deletion.pk]},
    )
    assert response.status_code == 302
    deletion.refresh_from_db()
    assert deletion.status == DeletionRequest.Status.COMPLETED
    assert deletion.erased_counts["copies_erased"] >= 20

    dump = database_dump()
    assert lines_with(dump, TOKEN) == []
    assert IDENTIFIER.lower() not in dump.lower()
    # The erased user's address is gone from every table but the sealed trail, whose entries
    # name who acted as the chain sealed them (README, "Deletion and return").
    leftover = lines_with(dump, USER_TOKEN)
    trail_rows = dump.split("COPY public.trail_trailentry ", 1)[1].split("\n\\.\n", 1)[0]
    assert all(line in trail_rows for line in leftover)
    customer.refresh_from_db()
    assert customer.email == f"erased-{customer.pk}@erased.invalid"
    addressed = Notification.objects.filter(recipient=customer.email)
    assert addressed.exists()
    assert set(addressed.values_list("body", flat=True)) == {""}
    assert not addressed.filter(status=Notification.Status.PENDING).exists()
    assert not User.objects.filter(email__icontains=USER_TOKEN).exists()
    ticket.refresh_from_db()
    assert ticket.erased_identifier_hash == erasure_proof(IDENTIFIER)
    assert trail_verifies()
