"""Every URL of the "portal" namespace is scoped to the user's controller.

The URLs are found by walking the resolver, so a new portal URL is tested without being listed
here. Each URL kwarg must map to an object of controller A (OBJECTS_OF_A); a URL with a kwarg
that has no mapping fails the test instead of being skipped. The mapping is the `objects_of_a`
fixture in tests/portal/conftest.py.
"""

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Pages anybody may open: signing in, resetting a password, accepting an invitation.
PUBLIC = {
    "login",
    "login_code",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "invitation_accept",
}
# Views that only accept POST.
POST_ONLY = {
    "switch_controller",
    "logout",
    "breach_incident_acknowledge",
    "job_retry",
    "two_factor_disable",
    "two_factor_policy",
}


def portal_patterns():
    """(name, kwarg names) of every URL pattern in the "portal" namespace, nested ones too."""

    def walk(patterns, namespace_found):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inside = namespace_found or pattern.namespace == "portal"
                yield from (
                    (name, kwargs | set(pattern.pattern.converters))
                    for name, kwargs in walk(pattern.url_patterns, inside)
                )
            elif isinstance(pattern, URLPattern) and namespace_found:
                yield pattern.name, set(pattern.pattern.converters)

    return sorted(walk(get_resolver().url_patterns, False), key=lambda p: p[0])


PATTERNS = portal_patterns()
SCOPED = [(name, kwargs) for name, kwargs in PATTERNS if name not in PUBLIC]


# What a response of A's controller shows; none of it may reach a user of B.
MARKERS_OF_A = [
    "Alpha Apps Ltd",
    "Alpha-only secret activity",
    "colleague@alpha.test",
    "DSAR-2000-",
    "Alpha-only incident",
    "grantee@alpha.test",
]


def url_for(name, kwargs, objects):
    missing = kwargs - objects.keys()
    assert not missing, (
        f"portal:{name} takes {missing}: add them to the objects_of_a fixture in tests/portal/conftest.py so the URL is "
        "tested against another controller's objects"
    )
    return reverse(f"portal:{name}", kwargs={k: objects[k] for k in kwargs})


def request(client, name, url):
    return client.post(url) if name in POST_ONLY else client.get(url)


def test_portal_urls_are_found():
    names = {name for name, _ in PATTERNS}
    assert {"dashboard", "activity_detail", "member_remove"} <= names
    assert names >= PUBLIC, f"stale names in PUBLIC: {PUBLIC - names}"


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_user_of_another_controller_gets_404_or_sees_nothing_of_a(
    name, kwargs, client, outsider, objects_of_a
):
    client.force_login(outsider)
    response = request(client, name, url_for(name, kwargs, objects_of_a))
    if kwargs:
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 302)
        content = response.content.decode()
        assert "Bravo Games SAS" in content or response.status_code == 302
        for marker in MARKERS_OF_A:
            assert marker not in content


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_logged_out_visitor_is_sent_to_login(name, kwargs, client, objects_of_a):
    url = url_for(name, kwargs, objects_of_a)
    response = request(client, name, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_user_whose_membership_expired_gets_404(name, kwargs, client, expired, objects_of_a):
    client.force_login(expired)
    response = request(client, name, url_for(name, kwargs, objects_of_a))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), SCOPED, ids=[n for n, _ in SCOPED])
def test_admin_of_the_controller_reaches_every_page(name, kwargs, client, owner, objects_of_a):
    client.force_login(owner)
    response = request(client, name, url_for(name, kwargs, objects_of_a))
    assert response.status_code == (302 if name in POST_ONLY else 200)


PUBLIC_PATTERNS = [p for p in PATTERNS if p[0] in PUBLIC]


@pytest.mark.parametrize(("name", "kwargs"), PUBLIC_PATTERNS, ids=[n for n, _ in PUBLIC_PATTERNS])
def test_public_portal_pages_open_without_login(name, kwargs, client, db):
    objects = {"uidb64": "MQ", "token": "not-a-token"}
    response = request(client, name, url_for(name, kwargs, objects))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == reverse("portal:login")
