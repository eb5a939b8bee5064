from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.dsar.models import DsarAttachment
from apps.dsar.services import dsar_attachment_add, dsar_attachment_can_download
from apps.dsar.uploads import sanitise_filename
from tests.factories import DsarTicketFactory, MembershipFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%...\n"


def upload(name="export.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


def add(ticket, file, visible=False, by=None):
    return dsar_attachment_add(
        ticket=ticket, uploaded_by=by, upload=file, visible_to_customer=visible
    )


@pytest.mark.parametrize(
    "name,content",
    [
        ("export.pdf", PDF),
        ("export.zip", b"PK\x03\x04rest"),
        ("scan.png", b"\x89PNG\r\n\x1a\nrest"),
        ("scan.JPG", b"\xff\xd8\xff\xe0rest"),
        ("data.csv", b"id,email\n1,x\n"),
        ("data.json", b'{"id": 1}'),
        ("notes.txt", "Grüße".encode()),
    ],
)
def test_allowed_types_are_kept_in_private_storage_under_a_random_name(name, content):
    attachment = add(DsarTicketFactory(), upload(name, content))
    assert attachment.file.name.startswith("dsar/")
    assert name.rsplit(".", 1)[0] not in attachment.file.name
    with pytest.raises(ValueError, match="no URL"):
        attachment.file.url  # noqa: B018
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert attachment.original_name == name.rsplit(".", 1)[0] + "." + name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("evil.exe", b"MZ...", "not accepted"),
        ("fake.pdf", b"<html>", "its content is not"),
        ("fake.png", PDF, "its content is not"),
        ("data.csv", b"\x00\x01\x02binary", "binary data"),
        ("data.json", b"{not json", "not valid JSON"),
        ("empty.txt", b"", "empty"),
        ("noext", b"hello", "not accepted"),
    ],
)
def test_refused_files_say_why_and_leave_nothing(name, content, message):
    ticket = DsarTicketFactory()
    with pytest.raises(ValidationError, match=message):
        add(ticket, upload(name, content))
    assert not DsarAttachment.objects.exists()


def test_file_over_the_size_limit_is_refused(settings):
    settings.DSAR_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="at most"):
        add(DsarTicketFactory(), upload(content=PDF + b"x" * 200))


def test_filenames_are_sanitised():
    assert sanitise_filename("../../etc/pass wd.PDF") == "pass wd.pdf"
    assert sanitise_filename('a"b;\r\n.txt') == "a_b___.txt"
    assert sanitise_filename("C:\\Users\\x\\report.csv") == "report.csv"


def test_who_may_download():
    membership = MembershipFactory()
    ticket = DsarTicketFactory(controller=membership.controller)
    visible = add(ticket, upload(), visible=True)
    hidden = add(ticket, upload(), visible=False)
    member = membership.user
    expired = MembershipFactory(
        controller=ticket.controller, expires_at=timezone.now() - timedelta(days=1)
    ).user
    outsider = MembershipFactory().user

    assert dsar_attachment_can_download(user=member, attachment=visible)
    assert not dsar_attachment_can_download(user=member, attachment=hidden)
    assert not dsar_attachment_can_download(user=expired, attachment=visible)
    assert not dsar_attachment_can_download(user=outsider, attachment=visible)
    assert not dsar_attachment_can_download(user=UserFactory(), attachment=visible)
    for role in (PRIVACY_OFFICER, SUPPORT_AGENT, SECURITY_LEAD, AUDITOR):
        assert dsar_attachment_can_download(user=StaffFactory(role=role), attachment=hidden)
    assert not dsar_attachment_can_download(user=StaffFactory(), attachment=hidden)


def test_admin_download_is_an_attachment_with_nosniff(client, support_agent):
    ticket = DsarTicketFactory()
    attachment = add(ticket, upload("Export 2026.pdf"))
    url = reverse("admin:dsar_dsarticket_attachment", args=[ticket.pk, attachment.pk])
    client.force_login(support_agent)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Export 2026.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_admin_download_is_refused_to_staff_without_the_right(client):
    ticket = DsarTicketFactory()
    attachment = add(ticket, upload())
    url = reverse("admin:dsar_dsarticket_attachment", args=[ticket.pk, attachment.pk])
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 403
    client.force_login(MembershipFactory(controller=ticket.controller).user)
    assert client.get(url).status_code == 302  # customers never enter the admin
    other = DsarTicketFactory()
    client.force_login(StaffFactory(role=SUPPORT_AGENT))
    wrong = reverse("admin:dsar_dsarticket_attachment", args=[other.pk, attachment.pk])
    assert client.get(wrong).status_code == 404
