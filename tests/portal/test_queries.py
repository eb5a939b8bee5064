"""Each portal and public page costs an exact number of queries, each named: the same with 2
rows as with 50."""

import importlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import WebhookEvent
from apps.integrations.services import api_token_create, webhook_endpoint_create
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


def add_api_tokens(ctx, n):
    for i in range(n):
        api_token_create(
            name=f"Token {i}",
            scope="read",
            expires_at=timezone.now() + timedelta(days=30),
            controller=ctx["controller"],
            by=ctx["user"],
        )


def add_webhook_endpoints(ctx, n):
    for i in range(n):
        webhook_endpoint_create(
            controller=ctx["controller"],
            url=f"https://hooks.alpha.example/{i}",
            events=[WebhookEvent.BREACH_NOTIFIED],
            by=ctx["user"],
        )


def add_memberships_of_user(ctx, n):
    for _ in range(n):
        MembershipFactory(user=ctx["user"], controller=ControllerFactory())


# Each page's exact queries, the same with 2 rows as with 50: (add rows, count, each query named).
# A customer's page opens with 1 the session, 2 the user, 3 a savepoint (ATOMIC_REQUESTS, inside
# the test's transaction), 4 the user's current memberships with their controllers (not expired,
# no audit grant outside its window), and ends by releasing it. The user comes with its
# permissions and second-factor devices in the same query (apps.accounts.backends); the session is
# not saved within SESSION_REFRESH_SECONDS of the sign-in or of its last save. The public pages
# are read here by a signed-in customer: session and user, but no memberships.
PAGES = {
    "portal:dashboard": (
        add_activities,
        9,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the record's activities, "
        "6 count of the announced subprocessor changes, 7 count of open requests, 8 open incidents "
        "and unacknowledged notices (one query, two filtered counts), 9 release",
    ),
    "portal:activity_list": (
        add_activities,
        8,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the record's activities, 6 the "
        "page of activities, 7 their data categories, 8 release",
    ),
    "portal:activity_detail": (
        add_to_activity,
        11,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 the activity with its processor, 6 its "
        "data categories, 7 its data subject categories, 8 its security measures, 9 its "
        "subprocessors, 10 their transfers, 11 release",
    ),
    "portal:subprocessor_list": (
        add_subprocessors_and_changes,
        10,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of active subprocessors, 6 this "
        "controller's objections with their changes, 7 the announced changes with their "
        "subprocessors and those replaced, 8 the page of active subprocessors, 9 their "
        "transfers, 10 release",
    ),
    "portal:member_list": (
        add_members,
        7,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the organisation's members, "
        "6 the page of memberships with their users, 7 release",
    ),
    "portal:account": (
        add_memberships_of_user,
        5,
        "1 session, 2 user, 3 savepoint, 4 memberships (also the page's list of organisations), "
        "5 release",
    ),
    "portal:api_token_list": (
        add_api_tokens,
        7,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the organisation's tokens, "
        "6 the page of tokens with who made and who revoked each, 7 release",
    ),
    "portal:webhook_endpoint_list": (
        add_webhook_endpoints,
        7,
        "1 session, 2 user, 3 savepoint, 4 memberships, 5 count of the organisation's endpoints, "
        "6 the page of endpoints, 7 release",
    ),
    "public:subprocessor_list": (
        add_subprocessors_and_changes,
        8,
        "1 session, 2 user, 3 savepoint, 4 the processor (the page's header), 5 the active "
        "subprocessors, 6 their transfers, 7 the announced changes with their subprocessors and "
        "those replaced, 8 release",
    ),
    "public:subprocessor_json": (
        add_subprocessors_and_changes,
        8,
        "1 session, 2 user, 3 savepoint, 4 the processor, 5 the active subprocessors, 6 their "
        "transfers, 7 the announced changes with their subprocessors and those replaced, 8 release",
    ),
    "public:subprocessor_feed": (
        add_subprocessors_and_changes,
        5,
        "1 session, 2 user, 3 savepoint, 4 the latest 50 published changes with their "
        "subprocessors and those replaced, 5 release",
    ),
}


def test_every_page_names_each_of_its_queries():
    for name, (_, n, reasons) in PAGES.items():
        numbers = [int(x) for x in re.findall(r"(?:^|, )(\d+) ", reasons)]
        assert numbers == list(range(1, n + 1)), f"{name}: name each of the {n} queries"


@pytest.mark.parametrize("name", PAGES)
def test_page_queries_are_exact_with_2_rows_and_with_50(
    name, client, owner, controller_a, activity_of_a, django_assert_num_queries
):
    ctx = {"user": owner, "controller": controller_a, "activity": activity_of_a}
    kwargs = {"activity_id": activity_of_a.pk} if name == "portal:activity_detail" else {}
    url = reverse(name, kwargs=kwargs)
    add, expected, _ = PAGES[name]  # the third item names each query
    client.force_login(owner)
    add(ctx, 2)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    add(ctx, 48)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_activity_list_query_count(client, owner, activity_of_a, django_assert_num_queries):
    add_activities({}, 30)
    client.force_login(owner)
    # session, user, savepoint (ATOMIC_REQUESTS), current memberships with their controllers,
    # count of the record, the page of activities, their data categories, release savepoint;
    # no session save within SESSION_REFRESH_SECONDS of the sign-in.
    with django_assert_num_queries(8):
        response = client.get(reverse("portal:activity_list"))
    assert len(response.context["page"].object_list) == 25


def test_the_request_form_costs_a_fixed_number_of_queries(
    client, owner, controller_a, django_assert_num_queries
):
    client.force_login(owner)
    # 1 session, 2 user, 3 savepoint, 4 memberships, 5 release: the form lists its choices
    # from code, not from the database.
    with django_assert_num_queries(5):
        assert client.get(reverse("portal:dsar_ticket_submit")).status_code == 200


# Portal and public URLs that list nothing that grows (forms, redirects, sign-in steps). Every
# other URL of the two namespaces must have a case in PAGES, so a new list page is measured.
NOT_LISTS = {
    "portal:member_invite": "a form",
    "portal:member_remove": "a confirmation of one membership",
    "portal:audit_receipt": "one signed statement of the trail's head (one query for it)",
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
    "portal:objection_detail": "one objection of the organisation, with its change",
    "portal:dsar_ticket_submit": "a form",
    "portal:dsar_ticket_withdraw": "a confirmation of one ticket",
    "portal:dsar_attachment_download": "one file",
    "portal:breach_incident_acknowledge": "POST only, a redirect",
    "portal:breach_incident_report_pdf": "a button that starts one document's job",
    "portal:record_pdf": "a button that starts one document's job",
    "portal:record_activities_csv": "a streamed export, read in chunks",
    "portal:record_subprocessors_csv": "a streamed export, read in chunks",
    "portal:record_transfers_csv": "a streamed export, read in chunks",
    "portal:record_security_measures_csv": "a streamed export, read in chunks",
    "portal:data_export_request": "a form",
    "portal:data_export_download": "one file",
    "portal:deletion_request": "a form",
    "portal:deletion_cancel": "a confirmation of one request",
    "portal:job_detail": "one job's state and result",
    "portal:job_status": "one job's state, as JSON",
    "portal:job_retry": "POST only, a redirect",
    "portal:job_download": "one file",
    "portal:audit_terms": "the terms of one grant",
    "portal:audit_grant_create": "a form",
    "portal:audit_grant_revoke": "a confirmation of one grant",
    "portal:api_token_create": "a form",
    "portal:api_token_revoke": "a confirmation of one token",
    "portal:webhook_endpoint_create": "a form",
    "portal:webhook_endpoint_state": "a confirmation of one endpoint",
    "portal:webhook_endpoint_delete": "a confirmation of one endpoint",
    "portal:webhook_message_replay": "a confirmation of one message",
}

# List pages measured exactly, with 2 rows and with many, in their own area's tests: the test
# that measures each.
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
    "portal:webhook_endpoint_detail": "tests/portal/test_integration_pages.py::"
    "test_the_endpoint_page_costs_the_same_queries_with_2_and_50_deliveries",
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
        f"add these to PAGES (exact queries, each named) or to NOT_LISTS with a reason: {missing}"
    )


@pytest.mark.parametrize("name", sorted(MEASURED_ELSEWHERE))
def test_the_tests_named_as_measuring_a_page_exist(name):
    path, _, function = MEASURED_ELSEWHERE[name].partition("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, function, None)), MEASURED_ELSEWHERE[name]
