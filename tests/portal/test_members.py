import pytest
from django.urls import reverse

from apps.controllers.models import Membership
from tests.factories import MembershipFactory

Role = Membership.Role


def remove_url(user, controller):
    membership = Membership.objects.get(user=user, controller=controller)
    return reverse("portal:member_remove", kwargs={"membership_id": membership.pk})


def test_admin_removes_a_member_and_history_says_who_and_why(client, owner, member, controller_a):
    membership = Membership.objects.get(user=member)
    client.force_login(owner)
    response = client.post(remove_url(member, controller_a))
    assert response["Location"] == reverse("portal:member_list")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    deleted = Membership.history.filter(id=membership.pk, history_type="-").get()
    assert deleted.history_user == owner
    assert deleted.history_change_reason == "portal.membership.removed"


def test_last_admin_cannot_remove_themselves(client, owner, controller_a):
    client.force_login(owner)
    response = client.post(remove_url(owner, controller_a), follow=True)
    assert "You are the last admin of Alpha Apps Ltd" in response.content.decode()
    assert Membership.objects.filter(user=owner, controller=controller_a).exists()


def test_an_expired_admin_does_not_count_as_another_admin(client, owner, expired, controller_a):
    client.force_login(owner)
    client.post(remove_url(owner, controller_a))
    assert Membership.objects.filter(user=owner, controller=controller_a).exists()


def test_an_admin_may_leave_when_another_admin_remains(client, owner, controller_a):
    MembershipFactory(controller=controller_a, role=Role.ADMIN)
    client.force_login(owner)
    response = client.post(remove_url(owner, controller_a))
    # No membership left anywhere: signed out, back to the login page.
    assert response["Location"] == reverse("portal:login")
    assert not Membership.objects.filter(user=owner).exists()


@pytest.mark.parametrize("role_user", ["member", "auditor"])
def test_only_admins_remove_members(client, role_user, request, owner, controller_a):
    client.force_login(request.getfixturevalue(role_user))
    url = remove_url(owner, controller_a)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Membership.objects.filter(user=owner, controller=controller_a).exists()


def test_members_page_shows_remove_links_to_admins_only(client, owner, member, controller_a):
    url = reverse("portal:member_list")
    client.force_login(member)
    content = client.get(url).content.decode()
    assert owner.email in content
    assert "Remove" not in content
    assert reverse("portal:member_invite") not in content
    client.force_login(owner)
    content = client.get(url).content.decode()
    assert remove_url(member, controller_a) in content
    assert reverse("portal:member_invite") in content


def test_auditor_cannot_write_even_where_members_could(client, auditor, rf):
    """Any view under portal_view refuses writes from auditors unless it widens write_roles."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    from apps.portal.tenancy import portal_view

    @portal_view
    def a_member_write(request):
        return HttpResponse("written")

    request = rf.post("/portal/anything/")
    request.user = auditor
    request.session = SessionStore()
    response = a_member_write(request)
    assert response.status_code == 403
    assert b"read-only" in response.content
