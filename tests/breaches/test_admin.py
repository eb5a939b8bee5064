"""The incident admin: who may do what, the clocks, bad input, actions and the PDF download."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, ROLE_NAMES, SECURITY_LEAD, SUPPORT_AGENT
from apps.breaches.models import BreachIncident
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_notify_controllers,
    breach_update_add,
)
from apps.core.legaltime import format_instant
from apps.core.models import ReferenceCounter
from tests.factories import BreachIncidentFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

# (add, change, delete) pages: 200 reached, 403 refused.
EXPECTED = {
    PRIVACY_OFFICER: (200, 200, 200),
    SECURITY_LEAD: (200, 200, 403),
    AUDITOR: (403, 200, 403),
    SUPPORT_AGENT: (403, 403, 403),
}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_reaches_the_incident_pages_as_expected(client, role):
    client.force_login(StaffFactory(role=role))
    incident = BreachIncidentFactory()
    add = client.get(reverse("admin:breaches_breachincident_add")).status_code
    change = client.get(reverse("admin:breaches_breachincident_change", args=[incident.pk]))
    delete = client.get(reverse("admin:breaches_breachincident_delete", args=[incident.pk]))
    assert (add, change.status_code, delete.status_code) == EXPECTED[role]
    # Security Leads and officers work incidents; auditors read them without a save button.
    if change.status_code == 200:
        assert ('name="_save"' in change.content.decode()) == (role != AUDITOR)


def test_support_agents_hold_no_breach_permission_at_all():
    agent = StaffFactory(role=SUPPORT_AGENT)
    assert not [p for p in agent.get_all_permissions() if p.startswith("breaches.")]


def incident_form(owner, **overrides):
    now = timezone.now()
    data = {
        "title": "Leaked API key",
        "risk_level": "high",
        "owner": owner.pk,
        "occurred_from_0": (now - timedelta(days=1)).strftime("%Y-%m-%d"),
        "occurred_from_1": "08:00:00",
        "occurred_to_0": "",
        "occurred_to_1": "",
        "became_aware_at_0": now.strftime("%Y-%m-%d"),
        "became_aware_at_1": "00:30:00",
        "nature_confidentiality": "on",
        "description": "An API key was published in a public repository.",
        "approx_data_subjects": "100",
        "approx_records": "300",
        "contact_point": "security@calljmp.example",
        "likely_consequences": "Unauthorised reads of user profiles.",
        "measures_taken": "Key revoked.",
        "measures_proposed": "",
        "notifications-TOTAL_FORMS": "0",
        "notifications-INITIAL_FORMS": "0",
        "notifications-MIN_NUM_FORMS": "0",
        "notifications-MAX_NUM_FORMS": "1000",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def lead_client(client, security_lead):
    client.force_login(security_lead)
    return client


def test_adding_an_incident_gives_it_a_reference_and_records_its_first_update(
    lead_client, security_lead
):
    response = lead_client.post(
        reverse("admin:breaches_breachincident_add"),
        incident_form(
            security_lead,
            **{"updates-TOTAL_FORMS": "1", "updates-0-text": "Investigation started."},
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = BreachIncident.objects.get()
    assert incident.reference == f"INC-{timezone.now().year}-0001"
    assert incident.history.latest().history_user == security_lead
    update = incident.updates.get()
    assert (update.phase, update.text, update.created_by) == (
        1,
        "Investigation started.",
        security_lead,
    )


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            {"became_aware_at_0": "2020-01-01"},
            "We cannot have become aware of the breach before it started",
        ),
        ({"approx_data_subjects": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"approx_records": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"nature_confidentiality": None}, "Tick at least one nature of the breach"),
        ({"occurred_to_0": "2020-01-01", "occurred_to_1": "00:00:00"}, "cannot end before"),
    ],
    ids=[
        "aware-before-occurred",
        "negative-subjects",
        "negative-records",
        "no-nature",
        "ends-early",
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(
    lead_client, security_lead, overrides, message
):
    response = lead_client.post(
        reverse("admin:breaches_breachincident_add"), incident_form(security_lead, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BreachIncident.objects.exists()
    assert not ReferenceCounter.objects.filter(prefix="INC").exists()


def action(client, name, incident):
    response = client.post(
        reverse("admin:breaches_breachincident_changelist"),
        {"action": name, "_selected_action": [incident.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_closing_with_controllers_not_notified_is_refused_with_a_message(
    lead_client, incident, security_lead
):
    breach_controllers_confirm(incident=incident, by=security_lead)
    assert action(lead_client, "mark_resolved", incident) == ["Mark resolved: 1 incident(s)."]
    messages = action(lead_client, "mark_closed", incident)
    assert any("cannot be closed: not yet notified: Acme Fitness Ltd" in m for m in messages)
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_confirm_notify_and_update_through_the_actions(
    lead_client, incident, security_lead, django_capture_on_commit_callbacks
):
    assert action(lead_client, "confirm_controllers", incident) == [
        "Affected controllers confirmed: 1 incident(s)."
    ]
    # Notices and updates go out as jobs (tests/jobs), run here once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        messages = action(lead_client, "notify_controllers", incident)
    assert "Notices queued: 1 incident(s)." in messages
    assert any("Follow" in m for m in messages)  # the link to the job's page
    assert incident.notifications.filter(sent_at__isnull=False).count() == 2
    breach_update_add(incident=incident, text="Root cause found.", by=security_lead)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Update sent: 1 incident(s)." in action(lead_client, "send_latest_update", incident)
    # The same update a second time: refused, with a message, not a 500.
    messages = action(lead_client, "send_latest_update", incident)
    assert any("no controller left to send to" in m for m in messages)


def test_auditor_has_no_actions_that_write(client, incident):
    client.force_login(StaffFactory(role=AUDITOR))
    page = client.get(reverse("admin:breaches_breachincident_changelist")).content.decode()
    assert "notify_controllers" not in page
    assert "mark_closed" not in page


def test_changelist_shows_the_clocks_and_filters_overdue_incidents(
    lead_client, security_lead, acme
):
    now = timezone.now()
    late = BreachIncidentFactory(title="Late one", became_aware_at=now - timedelta(hours=30))
    BreachIncidentFactory(title="Fresh one", became_aware_at=now - timedelta(hours=2))
    done = BreachIncidentFactory(
        title="Done one", became_aware_at=now - timedelta(hours=30), affected_controllers=[acme]
    )
    breach_controllers_confirm(incident=done, by=security_lead)
    breach_notify_controllers(incident=done, by=security_lead)
    url = reverse("admin:breaches_breachincident_changelist")
    page = lead_client.get(url).content.decode()
    # In hours, the instants in the reader's zone (a staff member: the processor's).
    assert "overdue by 6 h" in page
    assert re.search(r"2[12] h left", page)
    target = format_instant(late.notify_target_at, ZoneInfo(settings.PROCESSOR_TIME_ZONE))
    assert target in page and target.endswith(("EST", "EDT"))
    assert "all notified" in page
    assert "1/1" in page
    overdue = lead_client.get(url, {"target": "overdue"}).content.decode()
    assert late.title in overdue
    assert "Fresh one" not in overdue
    assert "Done one" not in overdue


def test_staff_download_the_report_with_view_permission_only(
    client, incident, security_lead, django_capture_on_commit_callbacks
):
    breach_controllers_confirm(incident=incident, by=security_lead)
    controller = incident.notifications.first().controller
    url = reverse("admin:breaches_breachincident_report", args=[incident.pk, controller.pk])
    client.force_login(StaffFactory(role=AUDITOR))
    assert client.get(url).status_code == 200  # the page that starts its job (tests/jobs)
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post(url)["Location"]
    response = client.get(job_page.replace("/change/", "/download/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert incident.reference in response["Content-Disposition"]
    client.force_login(StaffFactory(role=SUPPORT_AGENT))
    assert client.get(url).status_code == 403


def test_report_for_a_controller_not_affected_is_404(client, officer, incident):
    from tests.factories import ControllerFactory

    client.force_login(officer)
    url = reverse(
        "admin:breaches_breachincident_report", args=[incident.pk, ControllerFactory().pk]
    )
    assert client.get(url).status_code == 404


def test_incident_page_shows_each_controllers_window_and_the_timeline(
    lead_client, incident, security_lead
):
    breach_controllers_confirm(incident=incident, by=security_lead)
    breach_notify_controllers(incident=incident, by=security_lead)
    breach_update_add(incident=incident, text="Root cause found.", by=security_lead)
    page = lead_client.get(
        reverse("admin:breaches_breachincident_change", args=[incident.pk])
    ).content.decode()
    assert page.count(">PDF</a>") == 2
    assert "72 hours end" in page
    assert "Root cause found." in page
    assert "not sent yet" in page


def test_officer_deletes_incidents_from_the_list(client, officer):
    client.force_login(officer)
    incident = BreachIncidentFactory()
    response = client.post(
        reverse("admin:breaches_breachincident_changelist"),
        {"action": "delete_selected", "_selected_action": [incident.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not BreachIncident.objects.exists()


def test_security_lead_chooses_the_owner_among_staff_and_is_proposed_first(
    lead_client, security_lead
):
    customer_user = MembershipFactory(user__email="someone@customer.test").user
    page = lead_client.get(reverse("admin:breaches_breachincident_add")).content.decode()
    owner = re.search(r'<select name="owner".*?</select>', page, re.S).group(0)
    assert f'<option value="{security_lead.pk}" selected>' in owner
    assert customer_user.email not in owner and "admin-autocomplete" not in owner
