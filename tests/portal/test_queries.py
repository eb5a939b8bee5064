"""Each portal and public page costs the same number of queries with 2 rows as with 50."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ControllerFactory,
    DataCategoryFactory,
    DataSubjectCategoryFactory,
    MembershipFactory,
    SecurityMeasureFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)
from tests.portal.conftest import approved_activity


def add_activities(ctx, n):
    for _ in range(n):
        approved_activity(data_categories=DataCategoryFactory.create_batch(2))


def add_to_activity(ctx, n):
    activity = ctx["activity"]
    for _ in range(n):
        sub = SubprocessorFactory()
        TransferFactory(subprocessor=sub)
        activity.subprocessors.add(sub)
        activity.data_categories.add(DataCategoryFactory())
        activity.data_subject_categories.add(DataSubjectCategoryFactory())
        activity.security_measures.add(SecurityMeasureFactory(owner=None))


def add_subprocessors_and_changes(ctx, n):
    for _ in range(n):
        TransferFactory(subprocessor=SubprocessorFactory())
        SubprocessorChangeFactory(replaces=SubprocessorFactory(), kind="replace")


def add_members(ctx, n):
    MembershipFactory.create_batch(n, controller=ctx["controller"])


def add_memberships_of_user(ctx, n):
    for _ in range(n):
        MembershipFactory(user=ctx["user"], controller=ControllerFactory())


PAGES = {
    "portal:dashboard": add_activities,
    "portal:activity_list": add_activities,
    "portal:activity_detail": add_to_activity,
    "portal:subprocessor_list": add_subprocessors_and_changes,
    "portal:member_list": add_members,
    "portal:account": add_memberships_of_user,
    "public:subprocessor_list": add_subprocessors_and_changes,
    "public:subprocessor_json": add_subprocessors_and_changes,
    "public:subprocessor_feed": add_subprocessors_and_changes,
}


@pytest.mark.parametrize("name", PAGES)
def test_page_queries_do_not_grow_with_rows(name, client, owner, controller_a, activity_of_a):
    ctx = {"user": owner, "controller": controller_a, "activity": activity_of_a}
    kwargs = {"activity_id": activity_of_a.pk} if name == "portal:activity_detail" else {}
    url = reverse(name, kwargs=kwargs)
    client.force_login(owner)
    PAGES[name](ctx, 2)
    with CaptureQueriesContext(connection) as with_two:
        assert client.get(url).status_code == 200
    PAGES[name](ctx, 48)
    with CaptureQueriesContext(connection) as with_fifty:
        assert client.get(url).status_code == 200
    assert len(with_fifty) == len(with_two), [q["sql"] for q in with_fifty.captured_queries]


def test_activity_list_query_count(client, owner, activity_of_a, django_assert_num_queries):
    add_activities({}, 30)
    client.force_login(owner)
    # session, user, savepoint (ATOMIC_REQUESTS), current memberships with their controllers,
    # count of the record, the page of activities, their data categories, release savepoint,
    # then the session saved to push its idle expiry on (savepoint, update, release).
    with django_assert_num_queries(11):
        response = client.get(reverse("portal:activity_list"))
    assert len(response.context["page"].object_list) == 25


# Portal and public URLs that list nothing that grows (forms, redirects, sign-in steps). Every
# other URL of the two namespaces must have a case in PAGES, so a new list page is measured.
NOT_LISTS = {
    "portal:member_invite": "a form",
    "portal:member_remove": "a confirmation of one membership",
    "portal:switch_controller": "POST only, a redirect",
    "portal:login": "sign-in form",
    "portal:logout": "POST only, a redirect",
    "portal:password_change": "a form",
    "portal:password_change_done": "a message",
    "portal:password_reset": "a form",
    "portal:password_reset_done": "a message",
    "portal:password_reset_confirm": "a form",
    "portal:password_reset_complete": "a message",
    "portal:invitation_accept": "a form",
    "portal:login_code": "sign-in form",
    "portal:two_factor_setup": "a form",
    "portal:two_factor_disable": "POST only, a redirect",
    "portal:two_factor_policy": "POST only, a redirect",
    "portal:dsar_ticket_submit": "a form",
    "portal:dsar_ticket_withdraw": "a confirmation of one ticket",
    "portal:dsar_attachment_download": "one file",
    "portal:breach_incident_acknowledge": "POST only, a redirect",
    "portal:breach_incident_report_pdf": "one document of one incident",
    "portal:record_pdf": "one document; rows are rendered, not queried one by one",
    "portal:record_activities_csv": "a streamed export, read in chunks",
    "portal:record_subprocessors_csv": "a streamed export, read in chunks",
    "portal:record_transfers_csv": "a streamed export, read in chunks",
    "portal:record_security_measures_csv": "a streamed export, read in chunks",
    "portal:data_export_request": "a form",
    "portal:data_export_download": "one file",
    "portal:deletion_request": "a form",
    "portal:deletion_cancel": "a confirmation of one request",
    "portal:audit_terms": "the terms of one grant",
    "portal:audit_grant_create": "a form",
    "portal:audit_grant_revoke": "a confirmation of one grant",
}

# List pages measured 2 vs 50 rows in their own area's tests: the test that measures each.
MEASURED_ELSEWHERE = {
    "portal:dsar_ticket_list": "tests/portal/test_dsar_pages.py::"
    "test_the_list_costs_the_same_queries_with_2_and_50_tickets",
    "portal:dsar_ticket_detail": "tests/portal/test_dsar_pages.py::"
    "test_the_ticket_page_costs_the_same_queries_with_2_and_50_entries",
    "portal:breach_incident_list": "tests/portal/test_breach_pages.py::"
    "test_the_list_costs_the_same_queries_with_2_and_50_incidents",
    "portal:breach_incident_detail": "tests/portal/test_breach_pages.py::"
    "test_the_detail_costs_the_same_queries_with_2_and_50_categories_and_updates",
    "portal:audit_grant_list": "tests/portal/test_audits.py::"
    "test_audit_pages_cost_the_same_queries_with_2_rows_as_with_50",
    "portal:audit_access_log": "tests/portal/test_audits.py::"
    "test_audit_pages_cost_the_same_queries_with_2_rows_as_with_50",
    "portal:audit_history": "tests/portal/test_audits.py::"
    "test_an_auditors_pages_cost_the_same_queries_with_2_rows_as_with_50",
    "portal:audit_register_as_of": "tests/portal/test_audits.py::"
    "test_an_auditors_pages_cost_the_same_queries_with_2_rows_as_with_50",
    "portal:data_overview": "tests/offboarding/test_exports.py::"
    "test_the_data_page_costs_the_same_with_2_or_20_exports_and_requests",
}


def namespaced_url_names(namespaces=("portal", "public")) -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace if pattern.namespace in namespaces else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and namespace and pattern.name:
                yield f"{namespace}:{pattern.name}"

    return set(walk(get_resolver().url_patterns, None))


def test_every_portal_and_public_page_has_a_query_count_case():
    missing = sorted(namespaced_url_names() - set(PAGES) - set(NOT_LISTS) - set(MEASURED_ELSEWHERE))
    assert not missing, (
        f"add these to PAGES (2 vs 50 rows) or to NOT_LISTS with a reason: {missing}"
    )


@pytest.mark.parametrize("name", sorted(MEASURED_ELSEWHERE))
def test_the_tests_named_as_measuring_a_page_exist(name):
    path, _, function = MEASURED_ELSEWHERE[name].partition("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, function, None)), MEASURED_ELSEWHERE[name]
