"""Customer audits: a named auditor's read-only, time-boxed, area-limited access to one controller."""

import html
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditAccessLog, AuditArea, AuditGrant
from apps.audit.services import audit_grant_create, audit_grant_revoke
from apps.controllers.models import Membership
from apps.notifications.models import Notification
from apps.processors.models import ProcessingActivity
from apps.trail.models import TrailEntry
from apps.trail.services import trail_seal_pending
from tests.audit.test_trail import guards_off
from tests.factories import (
    AuditAccessLogFactory,
    AuditGrantFactory,
    MembershipFactory,
    StaffFactory,
)
from tests.portal.conftest import approved_activity
from tests.portal.test_isolation import PATTERNS, POST_ONLY, PUBLIC, url_for

Role = Membership.Role
SCOPED = [(name, kwargs) for name, kwargs in PATTERNS if name not in PUBLIC]


def open_page(client, name, url):
    return client.post(url) if name in POST_ONLY else client.get(url)


def grant_for(controller, **kwargs):
    kwargs.setdefault("auditor__email", "grantee@audit.test")
    return AuditGrantFactory(controller=controller, **kwargs)


# The grant's window -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_an_expired_grant_sees_nothing(name, kwargs, client, controller_a, objects_of_a):
    grant = grant_for(
        controller_a,
        starts_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    client.force_login(grant.auditor)
    response = open_page(client, name, url_for(name, kwargs, objects_of_a))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_a_revoked_grant_sees_nothing(name, kwargs, client, owner, controller_a, objects_of_a):
    grant = grant_for(controller_a)
    audit_grant_revoke(grant=grant, by=owner)
    client.force_login(grant.auditor)
    response = open_page(client, name, url_for(name, kwargs, objects_of_a))
    assert response.status_code == 404


def test_a_grant_not_started_yet_sees_nothing(client, controller_a):
    grant = grant_for(controller_a, starts_at=timezone.now() + timedelta(days=1))
    client.force_login(grant.auditor)
    assert client.get(reverse("portal:dashboard")).status_code == 404
    assert client.get(reverse("portal:audit_terms")).status_code == 404


def test_a_grant_not_started_leaves_the_persons_other_organisations_usable(
    client, controller_a, controller_b
):
    grant = grant_for(controller_a, starts_at=timezone.now() + timedelta(days=1))
    MembershipFactory(user=grant.auditor, controller=controller_b, role=Role.ADMIN)
    client.force_login(grant.auditor)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert response.wsgi_request.controller == controller_b


def test_revoking_ends_the_membership_at_once_and_keeps_the_grant(owner, controller_a):
    grant = grant_for(controller_a)
    audit_grant_revoke(grant=grant, by=owner)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == owner
    assert not grant.membership.is_current
    assert grant.history.first().history_change_reason == "audit.grant.revoked"
    with pytest.raises(ValidationError):
        audit_grant_revoke(grant=grant, by=owner)


# Scope: one controller, chosen areas --------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_a_grant_on_another_controller_reaches_nothing_of_a(
    name, kwargs, client, controller_b, objects_of_a
):
    grant = grant_for(controller_b)
    client.force_login(grant.auditor)
    response = open_page(client, name, url_for(name, kwargs, objects_of_a))
    if kwargs and response.status_code == 403:
        # Auditors never write: a write is refused for the role before any object is looked
        # up, so A's id and an id that exists nowhere get the same answer.
        nowhere = {key: 999_999 if key.endswith("_id") else "NOWHERE-0" for key in kwargs}
        assert name in POST_ONLY
        assert open_page(client, name, url_for(name, kwargs, nowhere)).status_code == 403
    elif kwargs:
        assert response.status_code == 404
    else:
        content = response.content.decode()
        assert "Alpha Apps Ltd" not in content
        assert "Alpha-only secret activity" not in content


def test_a_grant_opens_only_its_areas(client, controller_a, activity_of_a):
    grant = grant_for(controller_a, areas=[AuditArea.SUBPROCESSORS])
    client.force_login(grant.auditor)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert client.get(reverse("portal:subprocessor_list")).status_code == 200
    for url in (
        reverse("portal:activity_list"),
        reverse("portal:activity_detail", kwargs={"activity_id": activity_of_a.pk}),
        reverse("portal:audit_history"),
        reverse("portal:audit_register_as_of"),
        reverse("portal:member_list"),
        reverse("portal:audit_access_log"),
    ):
        assert client.get(url).status_code == 404, url


# What an auditor is shown: the menu, the overview's tiles and every link follow the gate.
HREF = re.compile(r'href="(/portal/[^"#]*)')


def portal_links(response) -> set[str]:
    return {html.unescape(link) for link in HREF.findall(response.content.decode())}


def test_the_overview_shows_an_auditor_only_the_granted_areas(client, controller_a, objects_of_a):
    grant = grant_for(controller_a, areas=[AuditArea.SUBPROCESSORS])
    client.force_login(grant.auditor)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert set(response.context["counts"]) == {"pending_subprocessor_changes"}
    content = response.content.decode()
    assert "upcoming subprocessor" in content
    for hidden in ("data-subject request", "breach incident", "in your record"):
        assert hidden not in content, hidden
    links = portal_links(response)
    assert reverse("portal:subprocessor_list") in links
    for name in ("activity_list", "member_list", "dsar_ticket_list", "breach_incident_list"):
        assert not any(link.startswith(reverse(f"portal:{name}")) for link in links), name
    assert reverse("portal:data_overview") not in links
    assert reverse("portal:audit_history") not in links


def test_the_organisations_admin_still_sees_every_tile_and_link(client, owner, objects_of_a):
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"))
    assert set(response.context["counts"]) == {
        "activities",
        "pending_subprocessor_changes",
        "open_dsar_tickets",
        "open_breach_incidents",
        "unacknowledged_breach_notices",
    }
    links = portal_links(response)
    for name in ("activity_list", "member_list", "dsar_ticket_list", "breach_incident_list"):
        assert reverse(f"portal:{name}") in links, name
    assert reverse("portal:audit_grant_list") in links


@pytest.mark.parametrize("area", AuditArea.values)
def test_no_link_shown_to_an_auditor_leads_to_a_refusal(area, client, controller_a, objects_of_a):
    """Every portal page reachable by links from the overview, under a grant of one area."""
    grant = grant_for(controller_a, areas=[area])
    client.force_login(grant.auditor)
    to_visit, seen = [reverse("portal:dashboard")], set()
    while to_visit:
        url = to_visit.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, f"{url} is linked but answers {response.status_code}"
        if response["Content-Type"].startswith("text/html"):
            to_visit.extend(portal_links(response) - seen)
    # The grant's own pages were reached, and nothing else was tried.
    assert not AuditAccessLog.objects.filter(grant=grant).exclude(status=200).exists()


def test_a_grant_with_every_area_still_cannot_manage_or_write(client, controller_a):
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    assert client.get(reverse("portal:audit_grant_list")).status_code == 404
    assert client.get(reverse("portal:member_invite")).status_code == 404
    assert client.get(reverse("portal:activity_list")).status_code == 200


def test_an_auditor_cannot_switch_to_a_controller_outside_the_grant(
    client, controller_a, controller_b
):
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    url = reverse("portal:switch_controller", kwargs={"controller_id": controller_b.pk})
    assert client.post(url).status_code == 404


# Confidentiality terms ----------------------------------------------------------------------


def test_terms_come_first_and_acceptance_is_recorded_with_time_and_address(client, controller_a):
    grant = grant_for(controller_a, terms_accepted_at=None, terms="Say nothing of what you see.")
    client.force_login(grant.auditor)
    for name in ("dashboard", "activity_list", "subprocessor_list", "account", "audit_history"):
        response = client.get(reverse(f"portal:{name}"))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("portal:audit_terms")
    page = client.get(reverse("portal:audit_terms"))
    assert "Say nothing of what you see." in page.content.decode()

    refused = client.post(reverse("portal:audit_terms"), {})
    assert refused.status_code == 200
    grant.refresh_from_db()
    assert grant.terms_accepted_at is None

    before = timezone.now()
    response = client.post(reverse("portal:audit_terms"), {"accept": "on"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.terms_accepted_at >= before
    assert grant.terms_accepted_ip == "127.0.0.1"
    assert grant.history.first().history_change_reason == "audit.grant.terms_accepted"
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_the_terms_page_has_nothing_to_accept_for_a_customer_admin(client, owner):
    client.force_login(owner)
    response = client.get(reverse("portal:audit_terms"))
    assert response.status_code == 200
    assert client.post(reverse("portal:audit_terms"), {"accept": "on"}).status_code == 404


# The access log -----------------------------------------------------------------------------


def test_every_page_an_auditor_tries_is_logged_with_its_answer(client, controller_a, activity_of_a):
    grant = grant_for(controller_a, terms_accepted_at=None)
    client.force_login(grant.auditor)
    client.get(reverse("portal:dashboard"))  # sent to the terms first: tried, logged as 302
    client.get(reverse("portal:audit_terms"))
    client.post(reverse("portal:audit_terms"), {"accept": "on"})
    client.get(reverse("portal:activity_detail", kwargs={"activity_id": activity_of_a.pk}))
    lines = list(AuditAccessLog.objects.filter(grant=grant).order_by("pk"))
    assert [(line.method, line.url_name, line.status) for line in lines] == [
        ("GET", "dashboard", 302),
        ("GET", "audit_terms", 200),
        ("POST", "audit_terms", 302),
        ("GET", "activity_detail", 200),
    ]
    assert lines[-1].path == f"/portal/records/{activity_of_a.pk}/"
    assert lines[-1].controller == controller_a and lines[-1].ip == "127.0.0.1"


def test_a_page_outside_the_grant_is_refused_and_its_line_survives_the_rollback(
    client, controller_a
):
    # The gate's Http404 rolls back the request's transaction (ATOMIC_REQUESTS); the line is
    # written after the response, outside it.
    grant = grant_for(controller_a, areas=[AuditArea.SUBPROCESSORS])
    client.force_login(grant.auditor)
    assert client.get("/portal/requests/").status_code == 404
    line = AuditAccessLog.objects.get(grant=grant)
    assert (line.path, line.url_name, line.method, line.status) == (
        "/portal/requests/",
        "dsar_ticket_list",
        "GET",
        404,
    )
    assert line.controller == controller_a


def test_a_write_refused_to_an_auditor_is_logged_as_403(client, controller_a):
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    assert client.post(reverse("portal:dsar_ticket_submit"), {}).status_code == 403
    line = AuditAccessLog.objects.get(grant=grant)
    assert (line.method, line.url_name, line.status) == ("POST", "dsar_ticket_submit", 403)


def test_a_page_whose_view_raises_404_leaves_its_line(client, controller_a):
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    url = reverse("portal:activity_detail", kwargs={"activity_id": 999_999})
    assert client.get(url).status_code == 404  # get_object_or_404 inside the view
    line = AuditAccessLog.objects.get(grant=grant)
    assert (line.path, line.url_name, line.status) == (url, "activity_detail", 404)


def test_a_page_whose_view_fails_leaves_its_line(client, controller_a, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the view failed")

    monkeypatch.setattr("apps.portal.views.home.processing_activity_list", fail)
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    client.raise_request_exception = False
    assert client.get(reverse("portal:activity_list")).status_code == 500
    line = AuditAccessLog.objects.get(grant=grant)
    assert (line.url_name, line.status) == ("activity_list", 500)


def test_the_organisations_own_people_leave_no_access_log(client, owner, auditor):
    for user in (owner, auditor):  # an auditor membership without a grant is not an audit
        client.force_login(user)
        client.get(reverse("portal:dashboard"))
        client.get("/portal/requests/")
    assert not AuditAccessLog.objects.exists()


def test_customer_admins_read_each_lines_answer(client, owner, controller_a):
    grant = grant_for(controller_a, areas=[AuditArea.SUBPROCESSORS])
    client.force_login(grant.auditor)
    client.get("/portal/requests/")
    client.force_login(owner)
    content = client.get(reverse("portal:audit_access_log")).content.decode()
    assert "/portal/requests/" in content
    assert "Refused: not found or outside the audit (404)" in content


def test_customer_admins_see_the_access_log_newest_first(client, owner, controller_a):
    grant = grant_for(controller_a)
    AuditAccessLogFactory(grant=grant, path="/portal/older/")
    AuditAccessLogFactory(grant=grant, path="/portal/newer/")
    AuditAccessLogFactory(path="/portal/of-another-controller/")
    client.force_login(owner)
    content = client.get(reverse("portal:audit_access_log")).content.decode()
    assert "grantee@audit.test" in content
    assert content.index("/portal/newer/") < content.index("/portal/older/")
    assert "/portal/of-another-controller/" not in content


@pytest.mark.parametrize("who", ["member", "auditor"])
def test_members_and_auditors_do_not_see_the_access_log(who, client, request, controller_a):
    AuditAccessLogFactory(grant=grant_for(controller_a))
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("portal:audit_access_log")).status_code == 403


# Granting -----------------------------------------------------------------------------------


def test_a_customer_admin_grants_an_audit_and_a_new_auditor_is_invited(client, owner, controller_a):
    client.force_login(owner)
    start = timezone.now()
    response = client.post(
        reverse("portal:audit_grant_create"),
        {
            "auditor_email": "New.Auditor@Firm.test",
            "auditor_name": "Nia Auditor",
            "areas": [AuditArea.PROCESSING_RECORD, AuditArea.HISTORY],
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "expires_at": (start + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            "terms_version": "2",
            "terms": "Confidential.",
        },
    )
    assert response.status_code == 302, response.content.decode()
    grant = AuditGrant.objects.get()
    assert grant.auditor.email == "new.auditor@firm.test"
    assert grant.areas == [AuditArea.PROCESSING_RECORD, AuditArea.HISTORY]
    assert grant.created_by == owner
    membership = grant.membership
    assert membership.role == Role.AUDITOR and membership.expires_at == grant.expires_at
    assert grant.history.first().history_user == owner
    # The invitation to set a password goes through the outbox.
    assert Notification.objects.filter(
        recipient="new.auditor@firm.test", kind="portal.invitation"
    ).exists()


def test_a_grant_must_end_after_it_starts_and_in_the_future(client, owner, controller_a):
    client.force_login(owner)
    start = timezone.now()
    response = client.post(
        reverse("portal:audit_grant_create"),
        {
            "auditor_email": "a@firm.test",
            "auditor_name": "A",
            "areas": [AuditArea.HISTORY],
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "expires_at": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "terms_version": "1",
            "terms": "Confidential.",
        },
    )
    assert response.status_code == 200
    assert "The audit must end after it starts." in response.content.decode()
    assert not AuditGrant.objects.exists()
    assert not Membership.objects.filter(user__email="a@firm.test").exists()


def test_someone_with_access_already_cannot_be_granted_an_audit(owner, member, controller_a):
    with pytest.raises(ValidationError) as error:
        audit_grant_create(
            controller=controller_a,
            auditor_email=member.email,
            auditor_name="M",
            areas=[AuditArea.HISTORY],
            starts_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=3),
            terms="T",
            terms_version="1",
            by=owner,
        )
    assert "auditor_email" in error.value.error_dict
    assert not AuditGrant.objects.exists()


def test_a_member_cannot_grant_through_the_service(member, controller_a):
    with pytest.raises(ValidationError):
        audit_grant_create(
            controller=controller_a,
            auditor_email="x@firm.test",
            auditor_name="X",
            areas=[AuditArea.HISTORY],
            starts_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=3),
            terms="T",
            terms_version="1",
            by=member,
        )


def test_an_ended_audit_can_be_granted_again(owner, controller_a):
    old = grant_for(
        controller_a,
        starts_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(days=1),
    )
    new = audit_grant_create(
        controller=controller_a,
        auditor_email=old.auditor.email,
        auditor_name="Again",
        areas=[AuditArea.HISTORY],
        starts_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=3),
        terms="T",
        terms_version="1",
        by=owner,
    )
    old.refresh_from_db()
    assert old.membership is None
    assert new.membership.is_current and new.auditor == old.auditor


def test_staff_grant_an_audit_in_the_admin(officer_client, controller_a):
    start = timezone.now()
    response = officer_client.post(
        reverse("admin:audit_auditgrant_add"),
        {
            "auditor_email": "ext@firm.test",
            "auditor_name": "Ext",
            "controller": controller_a.pk,
            "areas": [AuditArea.SUBPROCESSORS],
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "expires_at_0": (start + timedelta(days=5)).strftime("%Y-%m-%d"),
            "expires_at_1": start.strftime("%H:%M:%S"),
            "terms_version": "1",
            "terms": "Confidential.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = AuditGrant.objects.get()
    assert grant.auditor.email == "ext@firm.test" and grant.membership.role == Role.AUDITOR


def test_the_admin_add_form_shows_a_bad_grant_as_field_errors(officer_client, controller_a):
    start = timezone.now()
    response = officer_client.post(
        reverse("admin:audit_auditgrant_add"),
        {
            "auditor_email": "ext@firm.test",
            "auditor_name": "Ext",
            "controller": controller_a.pk,
            "areas": [AuditArea.SUBPROCESSORS],
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "expires_at_0": (start - timedelta(days=5)).strftime("%Y-%m-%d"),
            "expires_at_1": start.strftime("%H:%M:%S"),
            "terms_version": "1",
            "terms": "Confidential.",
        },
    )
    assert response.status_code == 200
    assert "The audit must end after it starts." in response.content.decode()
    assert not AuditGrant.objects.exists()


def test_staff_read_the_access_log_in_the_admin_and_cannot_change_it(
    client, staff_auditor, controller_a
):
    line = AuditAccessLogFactory(grant=grant_for(controller_a))
    client.force_login(staff_auditor)
    assert client.get(reverse("admin:audit_auditaccesslog_changelist")).status_code == 200
    url = reverse("admin:audit_auditaccesslog_change", args=[line.pk])
    assert client.post(url, {"path": "/changed/"}).status_code == 403
    line.refresh_from_db()
    assert line.path == "/portal/"


# History and the register as of a date ------------------------------------------------------


def test_history_shows_field_changes_of_the_granted_areas_only(client, controller_a, officer):
    activity = approved_activity(
        name="Sign-in", covers_all_controllers=False, controllers=[controller_a]
    )
    activity.purpose = "Authenticate end users"
    activity._history_user = officer
    activity.save()
    controller_a.contact_name = "Casey Contact"
    controller_a.save()
    trail_seal_pending()  # what the commit does in a request; tests never commit
    grant = grant_for(controller_a, areas=[AuditArea.HISTORY, AuditArea.PROCESSING_RECORD])
    client.force_login(grant.auditor)
    content = client.get(reverse("portal:audit_history")).content.decode()
    assert "Sign-in" in content and "Authenticate end users" in content
    assert "Casey Contact" in content
    assert officer.email in content

    narrow = grant_for(controller_a, auditor__email="narrow@audit.test", areas=[AuditArea.HISTORY])
    client.force_login(narrow.auditor)
    content = client.get(reverse("portal:audit_history")).content.decode()
    assert "Sign-in" not in content and "Casey Contact" not in content


def test_history_never_shows_another_controllers_records(client, controller_a, controller_b):
    approved_activity(name="Bravo-only", covers_all_controllers=False, controllers=[controller_b])
    controller_b.contact_name = "Bravo Contact"
    controller_b.save()
    trail_seal_pending()
    grant = grant_for(controller_a)
    client.force_login(grant.auditor)
    content = client.get(reverse("portal:audit_history")).content.decode()
    assert "Bravo-only" not in content and "Bravo Contact" not in content


def test_history_pages_by_keyset(client, owner, controller_a):
    for n in range(60):
        controller_a.contact_name = f"Contact {n:02d}"
        controller_a.save()
    trail_seal_pending()
    client.force_login(owner)
    first = client.get(reverse("portal:audit_history"))
    assert first.context["next_cursor"]
    second = client.get(reverse("portal:audit_history"), {"before": first.context["next_cursor"]})
    first_ids = {e.pk for e, _ in first.context["rows"]}
    second_ids = {e.pk for e, _ in second.context["rows"]}
    assert first_ids and second_ids and not first_ids & second_ids
    assert client.get(reverse("portal:audit_history"), {"before": "junk"}).status_code == 200


def test_the_register_as_of_a_date_shows_then_and_what_changed_since(client, owner, controller_a):
    activity = approved_activity(
        name="Routing", covers_all_controllers=False, controllers=[controller_a]
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    # Move the activity's past back two days (the trail with it), then change it today.
    two_days_ago = timezone.now() - timedelta(days=2)
    trail_seal_pending()
    with guards_off(ProcessingActivity.history.model._meta.db_table, "trail_trailentry"):
        activity.history.update(history_date=two_days_ago)
        TrailEntry.objects.filter(object_model="processors.processingactivity").update(
            history_date=two_days_ago
        )
    activity.purpose = "Route requests to the nearest edge"
    activity.save()
    trail_seal_pending()
    client.force_login(owner)
    response = client.get(reverse("portal:audit_register_as_of"), {"on": yesterday.isoformat()})
    assert response.status_code == 200
    content = response.content.decode()
    assert [a.name for a in response.context["snapshot"].activities] == ["Routing"]
    assert "Routing" in content
    assert "Route requests to the nearest edge" in content  # the change since, as a diff


def test_the_register_as_of_refuses_a_future_date(client, owner):
    client.force_login(owner)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.get(reverse("portal:audit_register_as_of"), {"on": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "Choose today or a day in the past." in response.content.decode()


def test_a_member_does_not_read_history(client, member):
    client.force_login(member)
    assert client.get(reverse("portal:audit_history")).status_code == 403


def test_a_staff_account_cannot_be_an_audited_auditor(owner, controller_a):
    staff = StaffFactory()
    with pytest.raises(ValidationError) as refused:
        audit_grant_create(
            controller=controller_a,
            auditor_email=staff.email,
            auditor_name="S",
            areas=[AuditArea.HISTORY],
            starts_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=3),
            terms="T",
            terms_version="1",
            by=owner,
        )
    # A customer admin is not told that the address is a staff member's.
    assert "staff" not in str(refused.value).lower()


# Query counts -------------------------------------------------------------------------------


def add_grants(ctx, n):
    AuditGrantFactory.create_batch(n, controller=ctx["controller"])


def add_access_lines(ctx, n):
    grant = ctx.setdefault("grant", AuditGrantFactory(controller=ctx["controller"]))
    AuditAccessLogFactory.create_batch(n, grant=grant)


def add_changes(ctx, n):
    for i in range(n):
        approved_activity(covers_all_controllers=False, controllers=[ctx["controller"]])
        ctx["controller"].contact_name = f"Contact {ctx.setdefault('i', 0) + i}"
        ctx["controller"].save()
    ctx["i"] = ctx.get("i", 0) + n
    trail_seal_pending()  # what the commit does in a request; tests never commit


# A customer's page opens with 1 the session, 2 the user, 3 a savepoint (ATOMIC_REQUESTS), 4 the
# user's current memberships with their controllers, and ends by releasing it; the session is not
# saved within SESSION_REFRESH_SECONDS of the sign-in. An auditor's page adds two: the audit
# gate's grant right after the memberships, and the access-log line (INSERT), written by
# AuditAccessLogMiddleware after the view's transaction is released.
#
# The history reads its scope first: one query per kind of record shared with the organisation
# (activities in its record, their data categories, data subject categories, subprocessors and
# those subprocessors' transfers, security measures; the notices sent to it). Then the page of
# trail entries (a keyset page, no count) with their controllers and each one's previous history
# row, one query per history model on the page (here the controller, the activities with their
# many-to-many history in one more, the processors), and one per kind of record the changes name.
# Each list page: (add rows, exact queries with 2 rows and with 50, each query named).
LIST_PAGES = {
    "portal:audit_grant_list": (
        add_grants,
        7,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the grants, 6 the page of "
        "grants with their auditors (and who created or revoked them), 7 release",
    ),
    "portal:audit_access_log": (
        add_access_lines,
        7,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the lines, 6 the page of lines "
        "with their grants and auditors, 7 release",
    ),
    "portal:audit_history": (
        add_changes,
        17,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 the record's activities, 6 their data "
        "categories, 7 their data subject categories, 8 their subprocessors, 9 those "
        "subprocessors' transfers, 10 their security measures, 11 the notices sent to this "
        "organisation, 12 the page of entries with their controllers, 13 the history rows of the "
        "controller, the activities and the processors (one UNION ALL), 14 the activities' "
        "many-to-many history rows (one UNION ALL), 15 the processors the changes name, 16 the "
        "users they name (who approved), 17 release",
    ),
}


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return queries


def test_each_audit_page_names_each_of_its_queries():
    pages = [(name, n, reasons) for name, (_, n, reasons) in LIST_PAGES.items()]
    for name, n, reasons in pages + AUDITOR_PAGES:
        numbers = [int(x) for x in re.findall(r"(?:^|, )(\d+) ", reasons)]
        assert numbers == list(range(1, n + 1)), f"{name}: name each of the {n} queries"


@pytest.mark.parametrize("name", LIST_PAGES)
def test_audit_pages_cost_the_same_queries_with_2_rows_as_with_50(
    name, client, owner, controller_a, django_assert_num_queries
):
    ctx = {"controller": controller_a}
    add, expected, _ = LIST_PAGES[name]  # the third item names each query
    client.force_login(owner)
    add(ctx, 2)
    with django_assert_num_queries(expected):
        assert client.get(reverse(name)).status_code == 200
    add(ctx, 48)
    with django_assert_num_queries(expected):
        assert client.get(reverse(name)).status_code == 200


# An auditor's pages, in the order measured (the rows of one stay for the next): (name, exact
# queries, each query named). The register is asked as of yesterday: every row is "since".
AUDITOR_PAGES = [
    (
        "portal:audit_history",
        19,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 the grant, 6 the record's activities, "
        "7 their data categories, 8 their data subject categories, 9 their subprocessors, 10 those "
        "subprocessors' transfers, 11 their security measures, 12 the notices sent to this "
        "organisation, 13 the page of entries with their controllers, 14 the history rows of the "
        "controller, the activities and the processors (one UNION ALL), 15 the activities' "
        "many-to-many history rows (one UNION ALL), 16 the processors the changes name, 17 the "
        "users they name (who approved), 18 release, 19 the access-log line (after the response)",
    ),
    (
        "portal:audit_register_as_of",
        20,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 the grant, 6 the controller as it stood, "
        "7 the activities' latest history rows as of that day, 8 the trail entries since, 9 the "
        "record's activities, 10 their data categories, 11 their data subject categories, 12 their "
        "subprocessors, 13 those subprocessors' transfers, 14 their security measures, 15 the "
        "notices sent to this organisation, 16 which of the entries since are in the auditor's "
        "areas, 17 those entries with each one's previous history row, 18 the controller's history "
        "rows, 19 release, 20 the access-log line (after the response)",
    ),
    (
        "portal:activity_list",
        10,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 the grant, 6 count of the record's "
        "activities, 7 the page of activities, 8 their data categories, 9 release, 10 the "
        "access-log line (after the response)",
    ),
]


def test_an_auditors_pages_cost_the_same_queries_with_2_rows_as_with_50(
    client, controller_a, django_assert_num_queries
):
    grant = grant_for(controller_a)
    ctx = {"controller": controller_a}
    client.force_login(grant.auditor)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    for name, expected, _ in AUDITOR_PAGES:  # the third item names each query
        params = {"on": yesterday} if name == "portal:audit_register_as_of" else {}
        add_changes(ctx, 2)
        with django_assert_num_queries(expected):
            assert client.get(reverse(name), params).status_code == 200
        add_changes(ctx, 48)
        with django_assert_num_queries(expected):
            assert client.get(reverse(name), params).status_code == 200


def test_the_audit_gate_costs_an_auditor_two_queries(client, controller_a, owner):
    """The grant (one SELECT) and the access-log line (one INSERT, after the response); nothing
    for other roles."""
    grant = grant_for(controller_a, areas=list(AuditArea.values))
    client.force_login(owner)
    as_owner = count_queries(client, reverse("portal:activity_list"))
    client.force_login(grant.auditor)
    as_auditor = count_queries(client, reverse("portal:activity_list"))
    assert len(as_auditor) == len(as_owner) + 2
