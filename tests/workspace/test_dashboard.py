"""The admin's home: each role sees what needs doing now, each figure leads to its list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.dsar.models import DsarPropagation
from tests.factories import (
    BreachIncidentFactory,
    BreachNotificationFactory,
    ControllerFactory,
    DsarTicketFactory,
    JobFactory,
    NotificationFactory,
    ObjectionFactory,
    ProcessingActivityFactory,
    SecurityEventFactory,
    StaffFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
)

pytestmark = pytest.mark.django_db


def overdue_ticket(**kwargs):
    ticket = DsarTicketFactory(**kwargs)
    ticket.due_at = timezone.now() - timedelta(days=3)
    ticket.save()
    return ticket


def make_rows(n: int) -> None:
    """n rows behind every figure and chart of the Privacy Officer's dashboard."""
    now = timezone.now()
    controller = ControllerFactory()
    for _ in range(n):
        ticket = overdue_ticket(controller=controller)
        DsarPropagation.objects.create(ticket=ticket, subprocessor=SubprocessorFactory())
        DsarTicketFactory(controller=controller, received_at=now - timedelta(days=27))
        incident = BreachIncidentFactory(became_aware_at=now - timedelta(hours=30))
        BreachNotificationFactory(
            incident=incident, sent_at=now - timedelta(hours=5), channel="email"
        )
        ControllerFactory(dpo_email="")
        NotificationFactory(status="failed")
        JobFactory(state="failed")
        SecurityEventFactory()
        SubprocessorFactory(status="active", dpa_expires_on=now.date() + timedelta(days=20))
        ProcessingActivityFactory(
            status="approved",
            approved_by=StaffFactory(),
            approved_at=now,
            next_review_on=now.date() + timedelta(days=3),
        )
        change = SubprocessorChangeFactory(effective_at=now + timedelta(days=10))
        ObjectionFactory(change=change, controller=controller)


def dashboard(client, user):
    client.force_login(user)
    return client.get(reverse("admin:index"))


def test_the_admin_home_is_the_dashboard(client, officer):
    assert reverse("admin:index") == reverse("workspace:dashboard")
    page = dashboard(client, officer)
    assert page.status_code == 200
    assert "What needs doing now" in page.content.decode()


def test_an_overdue_request_is_named_with_its_days_and_links_to_the_filtered_list(client, officer):
    ticket = overdue_ticket()
    page = dashboard(client, officer).content.decode()
    assert ticket.reference in page
    assert ticket.clock().days_label in page
    assert "deadline=overdue" in page
    listed = client.get(reverse("admin:dsar_dsarticket_changelist"), {"deadline": "overdue"})
    assert listed.status_code == 200
    assert ticket.reference in listed.content.decode()


def test_an_empty_figure_says_it_is_good_news(client, officer):
    page = dashboard(client, officer).content.decode()
    assert "No overdue requests: every open request is within its deadline." in page


@pytest.mark.parametrize(
    ("role", "sees", "does_not_see"),
    [
        (
            PRIVACY_OFFICER,
            [
                "figure-dsar_overdue",
                "figure-breach_targets",
                "figure-reviews_due",
                "figure-security_events",
                "figure-outbox_failures",
            ],
            [],
        ),
        (AUDITOR, ["figure-dsar_overdue", "figure-breach_targets", "figure-objections_open"], []),
        (
            SUPPORT_AGENT,
            ["figure-dsar_overdue", "figure-propagations_pending"],
            ["figure-breach_targets", "figure-security_events", "figure-outbox_failures"],
        ),
        (
            SECURITY_LEAD,
            ["figure-breach_targets", "figure-controller_windows", "figure-security_events"],
            ["figure-dsar_overdue", "figure-objections_open"],
        ),
    ],
)
def test_each_role_sees_its_own_figures(client, role, sees, does_not_see):
    page = dashboard(client, StaffFactory(role=role)).content.decode()
    for key in sees:
        assert f'id="{key}"' in page
    for key in does_not_see:
        assert f'id="{key}"' not in page


def test_a_breach_still_owed_a_notice_shows_our_target_clock(client, security_lead):
    incident = BreachIncidentFactory(became_aware_at=timezone.now() - timedelta(hours=30))
    page = dashboard(client, security_lead).content.decode()
    assert incident.reference in page
    assert incident.target_clock().hours_label in page
    listed = client.get(reverse("admin:breaches_breachincident_changelist"), {"target": "running"})
    assert incident.reference in listed.content.decode()


def test_charts_are_inline_svg_without_script(client, officer):
    make_rows(2)
    page = dashboard(client, officer).content.decode()
    assert page.count('role="img"') == 3
    assert "<script>" not in page.split('id="content-main"')[1]


@pytest.mark.parametrize(
    ("url", "params", "lookup"),
    [
        ("admin:dsar_dsarticket_changelist", {"propagation": "pending"}, None),
        ("admin:breaches_breachincident_changelist", {"window": "running"}, None),
        ("admin:breaches_breachincident_changelist", {"window": "unacknowledged"}, None),
        ("admin:subprocessors_subprocessor_changelist", {"dpa": "expiring"}, None),
        ("admin:subprocessors_subprocessorchange_changelist", {"effective": "soon"}, None),
        ("admin:processors_processingactivity_changelist", {"review": "due"}, None),
    ],
)
def test_each_figures_filter_is_offered_by_its_list(officer_client, url, params, lookup):
    assert officer_client.get(reverse(url), params).status_code == 200


def test_every_figure_link_opens(officer_client):
    make_rows(1)
    from apps.workspace.selectors import dashboard_figures

    officer = StaffFactory(is_superuser=True)
    officer_client.force_login(officer)
    for figure in dashboard_figures(user=officer):
        assert officer_client.get(figure.url).status_code == 200, figure.url


def test_the_dashboard_reads_a_fixed_number_of_queries(client, officer, django_assert_num_queries):
    client.force_login(officer)
    # The session, the user (with permissions and devices), a savepoint and its release, the
    # user's roles; three charts (requests by month, incidents by risk, time to notify); and for
    # each figure its count and, when it is not zero, its first rows: overdue requests (2),
    # requests due soon (3: the candidates, then count and rows), propagations (2), incidents
    # owed a notice (2), controllers' 72 hours (2), notices not acknowledged (2), objections (2),
    # changes soon (2), reviews due (2), DPAs expiring (2), records not ready to file (4: the
    # processor, shared activities' subprocessors, the controllers' count and rows), outbox
    # failures (2), failed jobs (2), the retention schedule's last run (1), security events (2).
    for added in (2, 48):  # 2 rows behind every figure, then 50
        make_rows(added)
        with django_assert_num_queries(40):
            assert client.get(reverse("admin:index")).status_code == 200


def test_a_record_not_ready_to_file_is_on_the_dashboard(client, officer):
    ControllerFactory(legal_name="No DPO Ltd", dpo_name="", dpo_email="")
    page = dashboard(client, officer).content.decode()
    assert "No DPO Ltd" in page
    assert "record=incomplete" in page
    listed = client.get(
        reverse("admin:controllers_controller_changelist"), {"record": "incomplete"}
    )
    assert "No DPO Ltd" in listed.content.decode()
