"""Staff personal tokens in the admin: made by the member, shown once, revoked there."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import SecurityEvent
from apps.accounts.roles import PRIVACY_OFFICER, SUPPORT_AGENT
from apps.integrations.models import ApiToken
from tests.api.conftest import ApiClient, make_token
from tests.factories import StaffFactory

ADD = "admin:integrations_apitoken_add"
LIST = "admin:integrations_apitoken_changelist"


def add_form(days=30, **data):
    expires = timezone.localtime() + timedelta(days=days)
    return {
        "name": "Reporting script",
        "scope": "read",
        "expires_at_0": expires.strftime("%Y-%m-%d"),
        "expires_at_1": expires.strftime("%H:%M:%S"),
        **data,
    }


def test_a_staff_member_makes_a_personal_token_shown_once(client, support_agent, controller_a):
    client.force_login(support_agent)
    response = client.post(reverse(ADD), add_form())
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.user, token.controller, token.scope) == (support_agent, None, "read")
    secret = response.context["secret"]
    assert secret.startswith(f"ropa_{token.prefix}_") and secret in response.content.decode()
    assert secret not in client.get(reverse(LIST)).content.decode()
    api = ApiClient(secret).get(f"/api/v1/organisations/{controller_a.pk}/requests")
    assert api.status_code == 200
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.API_TOKEN_CREATED, user=support_agent
    ).exists()


def test_a_token_beyond_the_longest_life_is_refused_in_the_admin(client, support_agent):
    client.force_login(support_agent)
    response = client.post(reverse(ADD), add_form(days=400))
    assert response.status_code == 200 and "at most 365 days" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_staff_see_their_own_tokens_and_officers_every_token(client, controller_a, admin_a):
    agent = StaffFactory(role=SUPPORT_AGENT)
    other = StaffFactory(role=SUPPORT_AGENT)
    make_token(by=agent)
    make_token(by=other)
    make_token(controller=controller_a, by=admin_a)
    client.force_login(agent)
    listed = client.get(reverse(LIST)).context["cl"].result_list
    assert [t.user for t in listed] == [agent]
    client.force_login(StaffFactory(role=PRIVACY_OFFICER))
    assert len(client.get(reverse(LIST)).context["cl"].result_list) == 3


def test_an_officer_revokes_an_organisation_token_in_the_admin(client, controller_a, admin_a):
    issued = make_token(controller=controller_a, by=admin_a)
    officer = StaffFactory(role=PRIVACY_OFFICER)
    client.force_login(officer)
    client.post(
        reverse(LIST),
        {"action": "revoke_tokens", "_selected_action": [issued.token.pk]},
    )
    issued.token.refresh_from_db()
    assert issued.token.revoked_by == officer
    api = ApiClient(issued.secret).get(f"/api/v1/organisations/{controller_a.pk}/requests")
    assert api.status_code == 401
