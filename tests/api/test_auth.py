"""Tokens: who may call, what each token may do, rate limits, and the security events."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import SecurityEvent
from apps.accounts.roles import AUDITOR, SECURITY_LEAD, SUPPORT_AGENT
from apps.controllers.models import Membership
from apps.dsar.models import DsarTicket
from apps.integrations.models import ApiToken
from apps.integrations.services import api_token_create, api_token_hash, api_token_revoke
from tests.api.conftest import ApiClient, make_token
from tests.factories import DsarTicketFactory, MembershipFactory, StaffFactory


def requests_url(controller):
    return f"/api/v1/organisations/{controller.pk}/requests"


def submit(client, controller, **extra):
    body = {
        "request_type": "erasure",
        "data_subject_identifier": "user-42",
        "received_at": (timezone.now() - timedelta(days=1)).isoformat(),
    }
    return client.post(
        requests_url(controller), data=json.dumps(body), content_type="application/json", **extra
    )


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith("/api/v1/problems/" + body["type"].rsplit("/", 1)[1])
    assert body["title"] and body["detail"]
    return body


def test_without_a_token_the_api_answers_401_as_a_problem(anonymous_api, controller_a):
    response = anonymous_api.get(requests_url(controller_a))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ropa_0123456789ab_" + "x" * 43,
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_a_made_up_or_malformed_token_is_refused(header, anonymous_api, controller_a, token_a):
    response = anonymous_api.get(requests_url(controller_a), HTTP_AUTHORIZATION=header)
    assert_problem(response, 401)


def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_refused(
    anonymous_api, controller_a, token_a
):
    forged = f"ropa_{token_a.prefix}_" + "A" * 43
    response = anonymous_api.get(requests_url(controller_a), HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert assert_problem(response, 401)["detail"] == "This API token is not valid."


def test_only_a_hash_of_the_token_is_stored(issued_a):
    token = ApiToken.objects.get(pk=issued_a.token.pk)
    assert token.secret_hash == api_token_hash(issued_a.secret)
    assert issued_a.secret not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    # Nor is the hash in the history people read.
    assert "secret_hash" not in {f.name for f in ApiToken.history.model._meta.fields}


def test_a_revoked_token_gets_401(api_a, token_a, admin_a, controller_a):
    api_token_revoke(token=token_a, by=admin_a)
    body = assert_problem(api_a.get(requests_url(controller_a)), 401)
    assert "revoked" in body["detail"]


def test_an_expired_token_gets_401(api_a, token_a, controller_a):
    token_a.created_at = timezone.now() - timedelta(days=10)
    token_a.expires_at = timezone.now() - timedelta(seconds=1)
    token_a.save(update_fields=["created_at", "expires_at"])
    body = assert_problem(api_a.get(requests_url(controller_a)), 401)
    assert "expired" in body["detail"]


def test_a_token_stops_working_when_its_creator_is_no_longer_an_admin(api_a, admin_a, controller_a):
    membership = Membership.objects.get(user=admin_a, controller=controller_a)
    membership.role = Membership.Role.MEMBER
    membership.save()
    body = assert_problem(api_a.get(requests_url(controller_a)), 401)
    assert "no longer administers" in body["detail"]


def test_a_signed_in_browser_without_a_token_gets_nothing(client, admin_a, controller_a, db):
    client.force_login(admin_a)
    assert_problem(client.get(requests_url(controller_a)), 401)


def test_only_an_admin_of_the_organisation_creates_its_tokens(controller_a, controller_b, db):
    member = MembershipFactory(controller=controller_a, role=Membership.Role.MEMBER).user
    with pytest.raises(ValidationError):
        make_token(controller=controller_a, by=member)
    outsider = MembershipFactory(controller=controller_b, role=Membership.Role.ADMIN).user
    with pytest.raises(ValidationError):
        make_token(controller=controller_a, by=outsider)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("days", "message"), [(0, "future"), (400, "at most 365 days")], ids=["past", "too long"]
)
def test_a_token_needs_an_expiry_within_the_limit(days, message, controller_a, admin_a):
    with pytest.raises(ValidationError) as refused:
        api_token_create(
            name="x",
            scope="read",
            expires_at=timezone.now() + timedelta(days=days),
            controller=controller_a,
            by=admin_a,
        )
    assert message in str(refused.value)


def test_a_read_only_token_reads_but_cannot_write(controller_a, admin_a):
    reader = ApiClient(make_token(controller=controller_a, by=admin_a, scope="read").secret)
    assert reader.get(requests_url(controller_a)).status_code == 200
    body = assert_problem(submit(reader, controller_a), 403)
    assert "only reads" in body["detail"]
    assert not DsarTicket.objects.exists()


def test_a_token_without_the_history_cannot_read_it(controller_a, admin_a):
    client = ApiClient(
        make_token(controller=controller_a, by=admin_a, includes_history=False).secret
    )
    response = client.get(f"/api/v1/organisations/{controller_a.pk}/history")
    assert "change history" in assert_problem(response, 403)["detail"]


def test_requests_past_the_limit_get_429_with_retry_after(api_a, controller_a, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert api_a.get(requests_url(controller_a)).status_code == 200
    response = api_a.get(requests_url(controller_a))
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_limit_is_per_token(api_a, controller_a, admin_a, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        api_a.get(requests_url(controller_a))
    assert api_a.get(requests_url(controller_a)).status_code == 429
    other = ApiClient(make_token(controller=controller_a, by=admin_a).secret)
    assert other.get(requests_url(controller_a)).status_code == 200


def test_creation_first_use_of_the_day_and_revocation_are_security_events(controller_a, admin_a):
    issued = make_token(controller=controller_a, by=admin_a)
    client = ApiClient(issued.secret)
    for _ in range(3):
        assert client.get(requests_url(controller_a)).status_code == 200
    api_token_revoke(token=issued.token, by=admin_a)
    kinds = list(
        SecurityEvent.objects.filter(user=admin_a).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [
        SecurityEvent.Kind.API_TOKEN_CREATED,
        SecurityEvent.Kind.API_TOKEN_USED,
        SecurityEvent.Kind.API_TOKEN_REVOKED,
    ]
    used = SecurityEvent.objects.get(kind=SecurityEvent.Kind.API_TOKEN_USED)
    assert issued.token.prefix in used.detail and used.ip_address == "127.0.0.1"
    # No event, and no trail, ever carries the secret.
    assert not SecurityEvent.objects.filter(detail__contains=issued.secret).exists()


def test_the_last_use_is_written_at_most_once_per_interval(api_a, token_a, controller_a):
    api_a.get(requests_url(controller_a))
    token_a.refresh_from_db()
    first = token_a.last_used_at
    assert first is not None and token_a.last_used_ip == "127.0.0.1"
    rows = token_a.history.count()
    api_a.get(requests_url(controller_a))
    token_a.refresh_from_db()
    assert token_a.last_used_at == first
    assert token_a.history.count() == rows


def test_the_next_days_first_use_is_an_event_again(api_a, token_a, controller_a):
    api_a.get(requests_url(controller_a))
    token_a.refresh_from_db()
    token_a.last_used_at = timezone.now() - timedelta(days=1, hours=1)
    token_a.save(update_fields=["last_used_at"])
    api_a.get(requests_url(controller_a))
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.API_TOKEN_USED).count() == 2


# --- staff personal tokens ----------------------------------------------------------------


def staff_client(role):
    staff = StaffFactory(role=role)
    return ApiClient(make_token(by=staff).secret), staff


def test_a_staff_token_reaches_every_organisation_its_role_reads(controller_a, controller_b):
    DsarTicketFactory(controller=controller_a)
    DsarTicketFactory(controller=controller_b)
    client, _ = staff_client(SUPPORT_AGENT)
    for controller in (controller_a, controller_b):
        response = client.get(requests_url(controller))
        assert response.status_code == 200
        assert len(response.json()["items"]) == 1
    organisations = client.get("/api/v1/organisations").json()["items"]
    assert {o["legal_name"] for o in organisations} == {"Alpha Apps Ltd", "Bravo Games SAS"}


def test_a_staff_token_carries_only_its_roles_permissions(controller_a):
    client, _ = staff_client(SECURITY_LEAD)
    # Security Leads read requests ...
    assert client.get(requests_url(controller_a)).status_code == 200
    # ... but do not work them, nor read the trail.
    assert "role" in assert_problem(submit(client, controller_a), 403)["detail"]
    assert_problem(client.get(f"/api/v1/organisations/{controller_a.pk}/history"), 403)


def test_a_role_taken_away_is_taken_from_the_token_at_once(controller_a):
    client, staff = staff_client(SUPPORT_AGENT)
    assert client.get(requests_url(controller_a)).status_code == 200
    staff.groups.clear()
    assert_problem(client.get(requests_url(controller_a)), 403)


def test_a_staff_token_may_not_acknowledge_for_the_organisation(controller_a, world_a):
    client, _ = staff_client(SECURITY_LEAD)
    url = f"/api/v1/organisations/{controller_a.pk}/breaches/{world_a['incident_reference']}"
    assert client.get(url).status_code == 200
    assert_problem(client.post(f"{url}/acknowledge"), 403)


def test_customers_cannot_make_personal_tokens(admin_a):
    with pytest.raises(ValidationError):
        make_token(by=admin_a)


def test_a_deactivated_staff_members_token_is_refused(controller_a):
    client, staff = staff_client(SUPPORT_AGENT)
    staff.is_active = False
    staff.save()
    assert_problem(client.get(requests_url(controller_a)), 401)


def test_an_auditor_makes_no_token_in_the_admin(client, db):
    auditor = StaffFactory(role=AUDITOR)
    client.force_login(auditor)
    assert client.get("/admin/integrations/apitoken/add/").status_code == 403
