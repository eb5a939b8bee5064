"""Times in the reader's zone, named on every page; one clock for the admin and the portal; the
time of receipt typed in the customer's zone."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.breaches.services import breach_controllers_confirm, breach_notify_controllers
from apps.dsar.models import DsarTicket
from apps.notifications.models import Notification
from tests.clock import freeze_now
from tests.factories import (
    BreachIncidentFactory,
    ControllerFactory,
    DsarTicketFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db

# Tuesday 10 Mar 2026, 16:00 UTC: already Wednesday 11 Mar, 01:00 in Tokyo; Tuesday, 12:00 in
# New York (summer time since 8 Mar).
NOW = datetime(2026, 3, 10, 16, tzinfo=UTC)
SUBMIT = reverse("portal:dsar_ticket_submit")


@pytest.fixture
def tokyo(db):
    return ControllerFactory(legal_name="Kawa Apps KK", country="JP")


@pytest.fixture
def tokyo_admin(tokyo):
    return MembershipFactory(controller=tokyo, role="admin", user__email="admin@kawa.test").user


@pytest.fixture
def ticket(tokyo, monkeypatch):
    freeze_now(monkeypatch, NOW)
    # Received 13 Feb, 09:00 in Tokyo: due Friday 13 Mar, at midnight there (14:59:59 UTC).
    return DsarTicketFactory(controller=tokyo, received_at=datetime(2026, 2, 13, tzinfo=UTC))


def test_the_admin_list_the_admin_page_and_the_portal_say_the_same_days_left(
    client, ticket, tokyo_admin, support_agent
):
    # In Tokyo it is 11 Mar: 2 days left. Counting from 10 Mar (UTC or New York) would say 3.
    pages = {}
    client.force_login(support_agent)
    pages["admin list"] = client.get(reverse("admin:dsar_dsarticket_changelist"))
    pages["admin page"] = client.get(reverse("admin:dsar_dsarticket_change", args=[ticket.pk]))
    client.force_login(tokyo_admin)
    pages["portal list"] = client.get(reverse("portal:dsar_ticket_list"))
    pages["portal page"] = client.get(
        reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    )
    tokyo_admin.time_zone = "Europe/London"  # a reader elsewhere sees the same count
    tokyo_admin.save()
    pages["portal page, read from London"] = client.get(
        reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    )
    for where, response in pages.items():
        content = response.content.decode()
        assert response.status_code == 200, where
        assert "2 days left" in content, where
        assert "3 days left" not in content, where


def test_each_reader_sees_the_deadline_in_its_own_zone_named(
    client, ticket, tokyo_admin, support_agent
):
    client.force_login(support_agent)  # staff without a zone of their own: the processor's
    admin_page = client.get(reverse("admin:dsar_dsarticket_changelist")).content.decode()
    assert "Times in America/New_York" in admin_page
    assert "13 Mar 2026, 10:59 EDT" in admin_page
    change = client.get(reverse("admin:dsar_dsarticket_change", args=[ticket.pk])).content.decode()
    assert "13 Mar 2026, 10:59 EDT (the end of Friday 13 Mar 2026 in Asia/Tokyo)" in change

    client.force_login(tokyo_admin)  # a customer without a zone of its own: its organisation's
    listing = client.get(reverse("portal:dsar_ticket_list")).content.decode()
    assert "13 Mar 2026, 23:59 JST" in listing
    assert "Times are shown in Asia/Tokyo" in listing
    detail = client.get(
        reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    ).content.decode()
    assert "13 Feb 2026, 09:00 JST" in detail  # received
    tokyo_admin.time_zone = "Europe/London"
    tokyo_admin.save()
    detail = client.get(
        reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    ).content.decode()
    assert "13 Mar 2026, 14:59 GMT" in detail
    assert "the end of the day in 13 Mar 2026, 23:59 JST (Asia/Tokyo)" in detail
    assert "Times are shown in Europe/London" in detail


def submitted(client, received_at: str) -> DsarTicket | None:
    response = client.post(
        SUBMIT,
        {
            "request_type": "access",
            "data_subject_identifier": "user-77",
            "received_at": received_at,
            "details": "",
            "submission_token": f"token-{received_at}",
        },
    )
    assert response.status_code in (200, 302)
    return DsarTicket.objects.filter(submission_token=f"token-{received_at}").first()


def test_the_time_of_receipt_is_asked_and_read_in_the_customers_zone(
    client, tokyo_admin, monkeypatch
):
    freeze_now(monkeypatch, NOW)
    client.force_login(tokyo_admin)
    form = client.get(SUBMIT).content.decode()
    assert "When your organisation received the request (time in Asia/Tokyo)" in form
    # 00:30 on 1 Mar in Tokyo is 15:30 on 28 Feb in UTC; the month runs from 1 Mar there.
    ticket = submitted(client, "2026-03-01T00:30")
    assert ticket.received_at == datetime(2026, 2, 28, 15, 30, tzinfo=UTC)
    assert ticket.due_at.astimezone(ticket.zone).date().isoformat() == "2026-04-01"


def test_a_customer_with_its_own_zone_types_times_in_it(client, tokyo_admin, monkeypatch):
    freeze_now(monkeypatch, NOW)
    tokyo_admin.time_zone = "America/New_York"
    tokyo_admin.save()
    client.force_login(tokyo_admin)
    form = client.get(SUBMIT).content.decode()
    assert "(time in America/New_York)" in form
    ticket = submitted(client, "2026-03-01T00:30")
    assert ticket.received_at == datetime(2026, 3, 1, 5, 30, tzinfo=UTC)
    # 02:30 on 8 Mar did not exist in New York (clocks went from 02:00 to 03:00).
    before = DsarTicket.objects.count()
    response = client.post(
        SUBMIT,
        {
            "request_type": "access",
            "data_subject_identifier": "user-78",
            "received_at": "2026-03-08T02:30",
            "submission_token": "token-gap",
        },
    )
    assert response.status_code == 200
    assert "interpreted in time zone America/New_York" in response.content.decode()
    assert DsarTicket.objects.count() == before


def test_a_customer_chooses_its_own_zone_on_the_account_page(client, tokyo_admin):
    client.force_login(tokyo_admin)
    url = reverse("portal:account")
    page = client.get(url).content.decode()
    assert "Your organisation&#x27;s (Asia/Tokyo)" in page
    response = client.post(url, {"time_zone": "Europe/Lisbon"})
    assert response.status_code == 302
    tokyo_admin.refresh_from_db()
    assert tokyo_admin.time_zone == "Europe/Lisbon"
    assert tokyo_admin.history.first().history_change_reason == "accounts.user.time_zone"
    assert "Times are shown in Europe/Lisbon" in client.get(url).content.decode()
    response = client.post(url, {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()
    tokyo_admin.refresh_from_db()
    assert tokyo_admin.time_zone == "Europe/Lisbon"
    client.post(url, {"time_zone": ""})  # back to the organisation's
    tokyo_admin.refresh_from_db()
    assert tokyo_admin.time_zone == ""


def test_an_outsider_sees_nothing_of_anothers_deadline(client, ticket, tokyo_admin):
    outsider = MembershipFactory(user__email="someone@else.test").user
    client.force_login(outsider)
    url = reverse("portal:dsar_ticket_detail", kwargs={"ticket_reference": ticket.reference})
    assert client.get(url).status_code == 404


def test_the_breach_clock_is_shown_in_hours_with_the_zone(
    client, tokyo, tokyo_admin, security_lead, monkeypatch
):
    freeze_now(monkeypatch, NOW)
    incident = BreachIncidentFactory(owner=security_lead, affected_controllers=[tokyo])
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    # Notified at 16:00 UTC, 01:00 on 11 Mar in Tokyo: 72 hours end at 01:00 on 14 Mar there.
    freeze_now(monkeypatch, datetime(2026, 3, 11, 16, 30, tzinfo=UTC))
    client.force_login(tokyo_admin)
    page = client.get(
        reverse("portal:breach_incident_detail", kwargs={"incident_id": incident.pk})
    ).content.decode()
    assert "14 Mar 2026, 01:00 JST (47 h left)" in page
    for body in Notification.objects.filter(kind="breach.notification").values_list(
        "body", flat=True
    ):  # to the contact and the DPO, in the controller's zone
        assert "your 72 hours (Art. 33(1)) end at 14 Mar 2026, 01:00 JST" in body
        assert "Times are in Asia/Tokyo." in body
    client.force_login(security_lead)
    admin_page = client.get(
        reverse("admin:breaches_breachincident_change", args=[incident.pk])
    ).content.decode()
    assert "13 Mar 2026, 12:00 EDT (47 h left)" in admin_page
