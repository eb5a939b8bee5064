"""The customer portal's breach incident pages, backed by the breaches services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.breaches.models import BreachNotification
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_update_add,
    breach_update_send,
)
from tests.factories import (
    BreachIncidentFactory,
    BreachNotificationFactory,
    DataCategoryFactory,
    DataSubjectCategoryFactory,
    DsarTicketFactory,
    ProcessorFactory,
    StaffFactory,
)
from tests.portal.html import assert_accessible

pytestmark = pytest.mark.django_db

LIST = reverse("portal:breach_incident_list")


def detail_url(incident):
    return reverse("portal:breach_incident_detail", kwargs={"incident_id": incident.pk})


def acknowledge_url(incident):
    return reverse("portal:breach_incident_acknowledge", kwargs={"incident_id": incident.pk})


def pdf_url(incident):
    return reverse("portal:breach_incident_report_pdf", kwargs={"incident_id": incident.pk})


@pytest.fixture
def security_staff(db):
    return StaffFactory(email="security@calljmp.test")


@pytest.fixture
def incident(security_staff, controller_a, controller_b):
    """Notified to A and B, with every Art. 33(3) item filled in."""
    incident = BreachIncidentFactory(
        title="Exposed R2 bucket",
        owner=security_staff,
        occurred_from=timezone.now() - timedelta(days=3),
        occurred_to=timezone.now() - timedelta(days=2),
        nature_confidentiality=True,
        nature_integrity=True,
        approx_data_subjects=1234,
        approx_records=56789,
        likely_consequences="Phishing against the exposed addresses.",
        measures_taken="Bucket made private; keys rotated.",
        measures_proposed="Alerting on public buckets.",
        contact_point="Pia Officer, dpo@calljmp.test",
        affected_controllers=[controller_a, controller_b],
    )
    incident.data_categories.set([DataCategoryFactory(name="Uploaded files")])
    incident.data_subject_categories.set([DataSubjectCategoryFactory(name="App end users")])
    breach_controllers_confirm(incident=incident, by=security_staff)
    breach_notify_controllers(incident=incident, by=security_staff)
    return incident


def notice_of(incident, controller):
    return BreachNotification.objects.get(incident=incident, controller=controller)


# --- list and detail --------------------------------------------------------------------------


def test_the_list_shows_only_incidents_notified_to_the_controller(
    client, owner, incident, controller_b, security_staff
):
    only_b = BreachIncidentFactory(title="Bravo-only incident", affected_controllers=[controller_b])
    breach_controllers_confirm(incident=only_b, by=security_staff)
    breach_notify_controllers(incident=only_b, by=security_staff)
    not_yet_told = BreachIncidentFactory(title="Not yet told", owner=security_staff)
    BreachNotificationFactory(
        incident=not_yet_told, controller=incident.notifications.first().controller
    )
    client.force_login(owner)
    response = client.get(LIST)
    content = response.content.decode()
    assert incident.reference in content and "Exposed R2 bucket" in content
    assert "Bravo-only incident" not in content
    assert "Not yet told" not in content
    assert_accessible(response)


def test_the_list_filters_incidents_that_are_not_closed(client, owner, incident):
    client.force_login(owner)
    assert incident.reference in client.get(LIST, {"status": "open"}).content.decode()
    assert incident.reference not in client.get(LIST, {"status": "closed"}).content.decode()


def test_the_detail_shows_every_art_33_3_item_and_the_controllers_own_window(
    client, owner, incident, controller_a
):
    notice = notice_of(incident, controller_a)
    client.force_login(owner)
    response = client.get(detail_url(incident))
    content = response.content.decode()
    for shown in (
        "Confidentiality, integrity",
        "Uploaded files",
        "App end users",
        "1234",
        "56789",
        "Phishing against the exposed addresses.",
        "Bucket made private; keys rotated.",
        "Alerting on public buckets.",
        "Pia Officer, dpo@calljmp.test",
        incident.occurred_from.strftime("%-d %b %Y, %H:%M"),
        incident.occurred_to.strftime("%-d %b %Y, %H:%M"),
        incident.became_aware_at.strftime("%-d %b %Y, %H:%M"),
        notice.sent_at.strftime("%-d %b %Y, %H:%M"),
        (notice.sent_at + timedelta(hours=72)).strftime("%-d %b %Y, %H:%M"),
    ):
        assert shown in content, shown
    assert pdf_url(incident) in content
    assert_accessible(response)


def test_the_timeline_holds_only_the_updates_sent_to_this_controller(
    client, owner, incident, controller_a, controller_b, security_staff
):
    first = breach_update_add(incident=incident, text="Root cause found.", by=security_staff)
    breach_update_send(update=first, by=security_staff)
    second = breach_update_add(incident=incident, text="Only Bravo hears this.", by=security_staff)
    breach_update_send(update=second, controllers=[controller_b], by=security_staff)
    breach_update_add(incident=incident, text="Not sent to anyone yet.", by=security_staff)
    client.force_login(owner)
    content = client.get(detail_url(incident)).content.decode()
    assert "Update 1" in content and "Root cause found." in content
    assert "Only Bravo hears this." not in content
    assert "Not sent to anyone yet." not in content


# --- acknowledging ----------------------------------------------------------------------------


def test_a_member_acknowledges_once_and_the_page_says_who_and_when(
    client, member, incident, controller_a
):
    member.full_name = "Mia Member"
    member.save()
    client.force_login(member)
    assert "Acknowledge receipt" in client.get(detail_url(incident)).content.decode()
    response = client.post(acknowledge_url(incident), follow=True)
    notice = notice_of(incident, controller_a)
    assert notice.acknowledged_by == member and notice.acknowledged_at is not None
    content = response.content.decode()
    assert f"You acknowledged our notice of {incident.reference}." in content
    assert "By Mia Member on" in content
    assert "Acknowledge receipt" not in content

    again = client.post(acknowledge_url(incident), follow=True).content.decode()
    assert "Already acknowledged by" in again
    assert notice_of(incident, controller_a).acknowledged_at == notice.acknowledged_at


def test_acknowledging_for_one_controller_leaves_the_others_notice_alone(
    client, owner, incident, controller_b
):
    client.force_login(owner)
    client.post(acknowledge_url(incident))
    assert notice_of(incident, controller_b).acknowledged_at is None


def test_an_auditor_sees_no_button_and_cannot_acknowledge(client, auditor, incident, controller_a):
    client.force_login(auditor)
    content = client.get(detail_url(incident)).content.decode()
    assert "Acknowledge receipt" not in content
    assert acknowledge_url(incident) not in content
    assert client.post(acknowledge_url(incident)).status_code == 403
    assert notice_of(incident, controller_a).acknowledged_at is None


def test_acknowledge_takes_only_a_post(client, owner, incident):
    client.force_login(owner)
    assert client.get(acknowledge_url(incident)).status_code == 405


# --- the report -------------------------------------------------------------------------------


def test_the_report_is_a_pdf_for_this_controller(
    client, owner, incident, controller_a, django_capture_on_commit_callbacks
):
    ProcessorFactory(name="Calljmp LLC")
    client.force_login(owner)
    assert client.get(pdf_url(incident)).status_code == 200  # the page that starts its job
    # The PDF is made by a job (tests/jobs), run here once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post(pdf_url(incident))["Location"]
    response = client.get(job_page.rstrip("/") + "/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    filename = f"{incident.reference}-{controller_a.pk}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-") and len(content) > 1000


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_counts_open_requests_open_incidents_and_notices_to_acknowledge(
    client, owner, incident, controller_a, controller_b
):
    DsarTicketFactory.create_batch(2, controller=controller_a)
    DsarTicketFactory(controller=controller_a, status="completed")
    DsarTicketFactory(controller=controller_b)
    closed = BreachIncidentFactory(status="closed")
    BreachNotificationFactory(
        incident=closed,
        controller=controller_a,
        sent_at=timezone.now(),
        channel="email",
        acknowledged_at=timezone.now(),
        acknowledged_by=owner,
    )
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"))
    counts = response.context["counts"]
    assert counts["open_dsar_tickets"] == 2
    assert counts["open_breach_incidents"] == 1
    assert counts["unacknowledged_breach_notices"] == 1
    content = response.content.decode()
    assert f'href="{reverse("portal:dsar_ticket_list")}?status=open"' in content
    assert f'href="{LIST}?status=open"' in content
    assert "1 notice to acknowledge" in content


# --- query counts -----------------------------------------------------------------------------


def notified_incidents(controller, n):
    for _ in range(n):
        BreachNotificationFactory(controller=controller, sent_at=timezone.now(), channel="email")


def test_the_list_costs_the_same_queries_with_2_and_50_incidents(
    client, owner, controller_a, django_assert_num_queries
):
    client.force_login(owner)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 count of the incidents notified to this organisation, 6 the page of
    # incidents with this organisation's notice times (subqueries, not a query per row),
    # 7 release; no session save within SESSION_REFRESH_SECONDS of the sign-in.
    notified_incidents(controller_a, 2)
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200
    notified_incidents(controller_a, 48)
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200


def test_the_list_query_count(client, owner, controller_a, django_assert_num_queries):
    notified_incidents(controller_a, 30)
    client.force_login(owner)
    # session, user, savepoint (ATOMIC_REQUESTS), current memberships with their controllers,
    # count of the incidents, the page of incidents with this controller's notice times,
    # release savepoint; no session save within SESSION_REFRESH_SECONDS of the sign-in.
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 25


def test_the_detail_costs_the_same_queries_with_2_and_50_categories_and_updates(
    client, owner, incident, security_staff, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            incident.data_categories.add(DataCategoryFactory())
            incident.data_subject_categories.add(DataSubjectCategoryFactory())
            update = breach_update_add(incident=incident, text="More", by=security_staff)
            breach_update_send(update=update, by=security_staff)

    client.force_login(owner)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 the incident (only if notified to this organisation), 6 its data
    # categories, 7 its data subject categories, 8 this organisation's notice with who
    # acknowledged it, 9 the updates delivered to this organisation, 10 release; no session
    # save within SESSION_REFRESH_SECONDS of the sign-in.
    add(2)
    with django_assert_num_queries(10):
        assert client.get(detail_url(incident)).status_code == 200
    add(48)
    with django_assert_num_queries(10):
        assert client.get(detail_url(incident)).status_code == 200


def test_the_dashboard_costs_the_same_queries_with_2_and_50_requests_and_incidents(
    client, owner, controller_a, django_assert_num_queries
):
    client.force_login(owner)
    url = reverse("portal:dashboard")
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 current memberships with their
    # controllers, 5 count of the record's activities, 6 count of the announced subprocessor
    # changes, 7 count of open requests, 8 open incidents and notices to acknowledge (one
    # query, two filtered counts), 9 release; no session save within SESSION_REFRESH_SECONDS
    # of the sign-in.
    DsarTicketFactory.create_batch(2, controller=controller_a)
    notified_incidents(controller_a, 2)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    DsarTicketFactory.create_batch(48, controller=controller_a)
    notified_incidents(controller_a, 48)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
