import re
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import SecurityEvent, User
from apps.accounts.roles import SUPPORT_AGENT
from apps.accounts.tokens import invitation_token_generator
from apps.controllers.models import Membership
from apps.controllers.services import membership_invite
from tests.factories import StaffFactory, UserFactory

Role = Membership.Role


def invitation_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/portal/invitation/\S+)", message.body).group(1)


@pytest.fixture
def invite(controller_a, owner, django_capture_on_commit_callbacks):
    def invite(email="new@alpha.test", role=Role.MEMBER, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return membership_invite(
                controller=controller_a,
                email=email,
                full_name="New Person",
                role=role,
                invited_by=owner,
                **kwargs,
            )

    return invite


def test_invitation_creates_a_user_without_password_and_emails_a_link(invite, owner):
    membership = invite(email="New@Alpha.test")
    user = membership.user
    assert user.email == "new@alpha.test"
    assert not user.has_usable_password()
    assert membership.role == Role.MEMBER
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@alpha.test"]
    assert "Alpha Apps Ltd" in mail.outbox[0].subject
    assert invitation_link(mail.outbox[0])
    latest = membership.history.latest()
    assert latest.history_user == owner
    assert latest.history_change_reason == "portal.membership.invited"


def test_invitation_link_sets_a_password_signs_in_and_works_only_once(client, invite):
    invite()
    link = invitation_link(mail.outbox[0])
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    assert "Welcome" in client.get(form_url).content.decode()
    response = client.post(
        form_url,
        {"new_password1": "my-own-long-passphrase", "new_password2": "my-own-long-passphrase"},
    )
    assert response["Location"] == reverse("portal:dashboard")
    assert "Alpha Apps Ltd" in client.get(reverse("portal:dashboard")).content.decode()
    assert User.objects.get(email="new@alpha.test").check_password("my-own-long-passphrase")

    client.logout()
    response = client.get(link, follow=True)
    assert "This invitation link no longer works" in response.content.decode()


def test_invitation_link_expires(client, invite, monkeypatch, settings):
    invite()
    link = invitation_link(mail.outbox[0])
    later = datetime.now() + timedelta(days=settings.PORTAL_INVITATION_DAYS, minutes=1)
    monkeypatch.setattr(invitation_token_generator, "_now", lambda: later)
    response = client.get(link, follow=True)
    assert "This invitation link no longer works" in response.content.decode()


def test_invitation_link_is_valid_just_before_expiry(client, invite, monkeypatch, settings):
    invite()
    link = invitation_link(mail.outbox[0])
    later = datetime.now() + timedelta(days=settings.PORTAL_INVITATION_DAYS, minutes=-5)
    monkeypatch.setattr(invitation_token_generator, "_now", lambda: later)
    assert client.get(link).status_code == 302


def test_a_password_reset_token_is_no_invitation(client, invite):
    from django.contrib.auth.tokens import default_token_generator

    user = invite().user
    link = invitation_link(mail.outbox[0])
    forged = link.rsplit("/", 2)[0] + f"/{default_token_generator.make_token(user)}/"
    assert "no longer works" in client.get(forged, follow=True).content.decode()


def test_existing_account_is_told_to_sign_in_without_a_token(invite, outsider):
    membership = invite(email=outsider.email)
    assert membership.user == outsider
    body = mail.outbox[0].body
    assert "/portal/login/" in body
    assert "/portal/invitation/" not in body


def test_inviting_a_current_member_is_refused_and_sends_nothing(invite, member):
    with pytest.raises(ValidationError, match="already a member"):
        invite(email=member.email)
    assert mail.outbox == []


def test_an_auditor_needs_an_end_date(invite):
    with pytest.raises(ValidationError, match="expiry"):
        invite(role=Role.AUDITOR)
    membership = invite(role=Role.AUDITOR, expires_at=timezone.now() + timedelta(days=30))
    assert membership.expires_at


def test_staff_accounts_cannot_be_invited_as_customers(invite, officer):
    with pytest.raises(ValidationError, match="staff"):
        invite(email=officer.email)


def test_customer_admin_invites_from_the_portal(
    client, owner, controller_a, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:member_invite"),
            {"email": "joiner@alpha.test", "full_name": "Jo Iner", "role": Role.MEMBER},
        )
    assert response["Location"] == reverse("portal:member_list")
    assert Membership.objects.filter(controller=controller_a, user__email="joiner@alpha.test")
    assert len(mail.outbox) == 1


def test_portal_invite_form_shows_errors_tied_to_fields(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("portal:member_invite"),
        {"email": "x@alpha.test", "full_name": "X", "role": Role.AUDITOR},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_expires_at_error"' in content
    assert 'aria-describedby="id_expires_at_helptext id_expires_at_error"' in content
    assert 'aria-invalid="true"' in content


@pytest.mark.parametrize("role_user", ["member", "auditor"])
def test_only_admins_invite(client, role_user, request, controller_a):
    client.force_login(request.getfixturevalue(role_user))
    assert client.get(reverse("portal:member_invite")).status_code == 403
    response = client.post(
        reverse("portal:member_invite"),
        {"email": "sneaky@alpha.test", "full_name": "S", "role": Role.ADMIN},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@alpha.test").exists()


def test_staff_invite_from_the_controller_page(
    officer_client, controller_a, officer, django_capture_on_commit_callbacks
):
    change_url = reverse("admin:controllers_controller_change", args=[controller_a.pk])
    invite_url = reverse("admin:controllers_controller_invite", args=[controller_a.pk])
    assert invite_url in officer_client.get(change_url).content.decode()
    assert officer_client.get(invite_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            invite_url,
            {"email": "first@alpha.test", "full_name": "First Admin", "role": Role.ADMIN},
        )
    assert response["Location"] == change_url
    membership = Membership.objects.get(user__email="first@alpha.test")
    assert membership.role == Role.ADMIN
    assert membership.history.latest().history_user == officer
    assert invitation_link(mail.outbox[0])


def test_staff_invite_shows_service_refusal_on_the_form(officer_client, controller_a, member):
    invite_url = reverse("admin:controllers_controller_invite", args=[controller_a.pk])
    response = officer_client.post(
        invite_url, {"email": member.email, "full_name": "M", "role": Role.MEMBER}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_staff_without_change_permission_cannot_invite(client, controller_a):
    client.force_login(StaffFactory(role=SUPPORT_AGENT))
    invite_url = reverse("admin:controllers_controller_invite", args=[controller_a.pk])
    assert client.get(invite_url).status_code == 403
    change_url = reverse("admin:controllers_controller_change", args=[controller_a.pk])
    assert invite_url not in client.get(change_url).content.decode()


def test_inviting_a_staff_address_from_the_portal_reads_as_any_invitation(
    client, owner, officer, controller_a, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    url = reverse("portal:member_invite")
    with django_capture_on_commit_callbacks(execute=True):
        normal = client.post(
            url, {"email": "joiner@alpha.test", "full_name": "Jo", "role": Role.MEMBER}
        )
        staff = client.post(
            url, {"email": officer.email.upper(), "full_name": "Pat", "role": Role.MEMBER}
        )
    assert staff.status_code == normal.status_code == 302
    assert staff["Location"] == normal["Location"] == reverse("portal:member_list")
    shown = [str(m) for m in client.get(reverse("portal:member_list")).context["messages"]]
    assert shown == [
        "joiner@alpha.test is invited as Member.",
        f"{officer.email} is invited as Member.",
    ]
    # Nothing is created for the staff address and nothing is sent to it.
    assert not Membership.objects.filter(user=officer).exists()
    assert [m.to for m in mail.outbox] == [["joiner@alpha.test"]]
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.STAFF_INVITED)
    assert event.user == owner
    assert event.username == officer.email
    assert event.ip_address == "127.0.0.1"
    assert event.path == url
    assert "Alpha Apps Ltd" in event.detail


def test_inviting_a_deactivated_account_from_the_portal_reads_as_any_invitation(
    client, owner, controller_a, django_capture_on_commit_callbacks
):
    gone = UserFactory(email="left@elsewhere.test", is_active=False)
    client.force_login(owner)
    url = reverse("portal:member_invite")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"email": "Left@Elsewhere.test", "full_name": "L", "role": Role.MEMBER}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:member_list")
    shown = [str(m) for m in client.get(reverse("portal:member_list")).context["messages"]]
    assert shown == ["left@elsewhere.test is invited as Member."]
    assert "deactivated" not in client.get(reverse("portal:member_list")).content.decode()
    assert not Membership.objects.filter(user=gone).exists()
    assert mail.outbox == []
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PERMISSION_DENIED)
    assert (event.user, event.username) == (owner, "left@elsewhere.test")
    assert "deactivated" in event.detail


def test_the_staff_admin_is_told_the_account_is_deactivated(officer_client, controller_a):
    UserFactory(email="left@elsewhere.test", is_active=False)
    invite_url = reverse("admin:controllers_controller_invite", args=[controller_a.pk])
    response = officer_client.post(
        invite_url, {"email": "left@elsewhere.test", "full_name": "L", "role": Role.MEMBER}
    )
    assert response.status_code == 200
    assert "This account is deactivated; ask the privacy team." in response.content.decode()


def test_the_staff_admin_invite_page_still_says_it_is_a_staff_account(
    officer_client, controller_a, officer
):
    invite_url = reverse("admin:controllers_controller_invite", args=[controller_a.pk])
    staff = StaffFactory(email="colleague@calljmp.test")
    response = officer_client.post(
        invite_url, {"email": "Colleague@Calljmp.test", "full_name": "C", "role": Role.MEMBER}
    )
    assert response.status_code == 200
    assert "This is a staff account" in response.content.decode()
    assert not Membership.objects.filter(user=staff).exists()


def test_an_invitation_in_another_case_finds_the_existing_account(invite, outsider):
    membership = invite(email=outsider.email.upper())
    assert membership.user == outsider
    assert User.objects.filter(email__iexact=outsider.email).count() == 1
