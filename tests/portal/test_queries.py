"""Each portal and public page costs the same number of queries with 2 rows as with 50."""

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
    missing = sorted(namespaced_url_names() - set(PAGES) - set(NOT_LISTS))
    assert not missing, (
        f"add these to PAGES (2 vs 50 rows) or to NOT_LISTS with a reason: {missing}"
    )
