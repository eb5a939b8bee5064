"""The portal's API pages: tokens and webhook endpoints, for the organisation's admins."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import SecurityEvent
from apps.dsar.services import dsar_ticket_transition
from apps.integrations.models import ApiToken, WebhookAttempt, WebhookEndpoint, WebhookMessage
from apps.integrations.services import (
    webhook_attempt_record,
    webhook_endpoint_create,
    webhook_event_record,
)
from apps.notifications.models import Notification
from tests.factories import DsarTicketFactory, StaffFactory


def create_token(client, **data):
    form = {
        "name": "Help desk",
        "scope": "read_write",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **data,
    }
    return client.post(reverse("portal:api_token_create"), form)


def test_a_new_token_is_shown_once_and_works_against_the_api(client, owner, controller_a):
    client.force_login(owner)
    response = create_token(client, includes_history="on")
    assert response.status_code == 302 and response["Location"] == reverse("portal:api_token_list")
    token = ApiToken.objects.get()
    assert (token.controller, token.user, token.scope) == (controller_a, owner, "read_write")
    assert token.includes_history
    page = client.get(reverse("portal:api_token_list")).content.decode()
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith(f"ropa_{token.prefix}_")
    # Shown once: the next visit shows the token's prefix only.
    again = client.get(reverse("portal:api_token_list")).content.decode()
    assert secret not in again and f"ropa_{token.prefix}" in again
    api = client.get(
        f"/api/v1/organisations/{controller_a.pk}/requests", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert api.status_code == 200
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.API_TOKEN_CREATED, user=owner
    ).exists()


def test_a_token_expires_at_the_end_of_the_chosen_day_and_not_beyond_a_year(client, owner):
    client.force_login(owner)
    too_far = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = create_token(client, expires_on=too_far)
    assert response.status_code == 200 and "at most 365 days" in response.content.decode()
    assert not ApiToken.objects.exists()
    day = timezone.localdate() + timedelta(days=10)
    create_token(client, expires_on=day.isoformat())
    expires = timezone.localtime(ApiToken.objects.get().expires_at)
    assert expires.date() == day + timedelta(days=1) and (expires.hour, expires.minute) == (0, 0)


def test_revoking_a_token_stops_it_and_is_a_security_event(client, owner, controller_a):
    client.force_login(owner)
    create_token(client)
    secret = (
        client.get(reverse("portal:api_token_list"))
        .content.decode()
        .split('<code class="secret">')[1]
        .split("</code>")[0]
    )
    token = ApiToken.objects.get()
    url = reverse("portal:api_token_revoke", kwargs={"token_id": token.pk})
    assert "Revoke the token" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == owner
    api = client.get(
        f"/api/v1/organisations/{controller_a.pk}/requests", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert api.status_code == 401
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.API_TOKEN_REVOKED).exists()
    assert "Revoked" in client.get(reverse("portal:api_token_list")).content.decode()


@pytest.mark.parametrize(
    "name",
    ["api_token_list", "api_token_create", "webhook_endpoint_list", "webhook_endpoint_create"],
)
def test_members_and_auditors_of_the_organisation_may_not_manage_the_api(
    name, client, member, auditor
):
    for person in (member, auditor):
        client.force_login(person)
        assert client.get(reverse(f"portal:{name}")).status_code == 403


def test_the_api_link_is_shown_to_admins_only(client, owner, member):
    client.force_login(owner)
    assert (
        reverse("portal:api_token_list") in client.get(reverse("portal:dashboard")).content.decode()
    )
    client.force_login(member)
    assert (
        reverse("portal:api_token_list")
        not in client.get(reverse("portal:dashboard")).content.decode()
    )


def test_an_endpoint_is_registered_and_its_secret_shown_once(client, owner, controller_a):
    client.force_login(owner)
    response = client.post(
        reverse("portal:webhook_endpoint_create"),
        {
            "url": "https://hooks.alpha.example/records",
            "description": "Help desk",
            "events": ["request.status_changed", "breach.notified"],
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == reverse(
        "portal:webhook_endpoint_detail", kwargs={"endpoint_id": endpoint.pk}
    )
    assert endpoint.controller == controller_a
    assert endpoint.events == ["request.status_changed", "breach.notified"]
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://hooks.alpha.example/x", "https://"), ("https://192.168.1.5/x", "public address")],
)
def test_an_unsafe_endpoint_is_refused_with_a_message(url, message, client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("portal:webhook_endpoint_create"), {"url": url, "events": ["breach.notified"]}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def endpoint(controller_a, owner):
    return webhook_endpoint_create(
        controller=controller_a,
        url="https://hooks.alpha.example/records",
        events=["request.status_changed"],
        by=owner,
    )[0]


def add_deliveries(controller, n):
    staff = StaffFactory()
    for _ in range(n):
        ticket = DsarTicketFactory(controller=controller)
        dsar_ticket_transition(ticket=ticket, to="in_progress", by=staff)
    for message in WebhookMessage.objects.filter(attempts__isnull=True):
        delivery = Notification.objects.filter(related_id=str(message.pk)).first()
        for status in (500, 200):
            webhook_attempt_record(
                message=message,
                delivery_id=delivery.pk,
                status_code=status,
                error="",
                duration_ms=12,
            )


def test_the_endpoint_page_lists_deliveries_with_their_response_codes(
    client, owner, endpoint, controller_a
):
    add_deliveries(controller_a, 1)
    client.force_login(owner)
    page = client.get(
        reverse("portal:webhook_endpoint_detail", kwargs={"endpoint_id": endpoint.pk})
    )
    content = page.content.decode()
    message = WebhookMessage.objects.get()
    assert message.message_id in content
    assert "HTTP 500" in content and "HTTP 200" in content


def test_the_endpoint_page_costs_the_same_queries_with_2_and_50_deliveries(
    client, owner, endpoint, controller_a, django_assert_num_queries
):
    client.force_login(owner)
    url = reverse("portal:webhook_endpoint_detail", kwargs={"endpoint_id": endpoint.pk})
    add_deliveries(controller_a, 2)
    # 1 session, 2 user, 3 savepoint, 4 memberships, 5 the endpoint, 6 count of its messages,
    # 7 the page of messages, 8 their attempts, 9 their latest deliveries, 10 release; no
    # session save within SESSION_REFRESH_SECONDS of the sign-in
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200
    add_deliveries(controller_a, 48)
    with django_assert_num_queries(10):
        response = client.get(url)
    assert len(response.context["rows"]) == 25


def test_pausing_and_resuming_an_endpoint(client, owner, endpoint, controller_a):
    client.force_login(owner)
    url = reverse("portal:webhook_endpoint_state", kwargs={"endpoint_id": endpoint.pk})
    assert "Pause" in client.get(url).content.decode()
    client.post(url)
    endpoint.refresh_from_db()
    assert endpoint.status == "paused"
    # While paused, events are kept, not sent.
    webhook_event_record(
        event_type="request.status_changed", data={"request": "x"}, controllers=[controller_a.pk]
    )
    assert not Notification.objects.filter(channel="webhook").exists()
    client.post(url)
    endpoint.refresh_from_db()
    assert endpoint.status == "active"
    assert Notification.objects.filter(channel="webhook", status="pending").count() == 1


def test_a_delivery_is_sent_again_from_the_portal(client, owner, endpoint, controller_a):
    (message,) = webhook_event_record(
        event_type="request.status_changed", data={"request": "x"}, controllers=[controller_a.pk]
    )
    for delivery in Notification.objects.filter(channel="webhook"):
        delivery.status = "failed"  # its tries ran out
        delivery.save()
    client.force_login(owner)
    url = reverse(
        "portal:webhook_message_replay",
        kwargs={"endpoint_id": endpoint.pk, "message_id": message.pk},
    )
    assert message.message_id in client.get(url).content.decode()
    client.post(url)
    assert Notification.objects.filter(channel="webhook", status="pending").count() == 1


def test_deleting_an_endpoint_cancels_what_waits(client, owner, endpoint, controller_a):
    webhook_event_record(
        event_type="request.status_changed", data={"request": "x"}, controllers=[controller_a.pk]
    )
    client.force_login(owner)
    client.post(reverse("portal:webhook_endpoint_delete", kwargs={"endpoint_id": endpoint.pk}))
    assert not WebhookEndpoint.objects.exists() and not WebhookAttempt.objects.exists()
    assert set(Notification.objects.filter(channel="webhook").values_list("status", flat=True)) == {
        "cancelled"
    }


def test_an_outsider_gets_404_on_the_endpoint_and_its_messages(
    client, outsider, endpoint, controller_a
):
    (message,) = webhook_event_record(
        event_type="request.status_changed", data={"request": "x"}, controllers=[controller_a.pk]
    )
    client.force_login(outsider)
    for name, kwargs in [
        ("webhook_endpoint_detail", {"endpoint_id": endpoint.pk}),
        ("webhook_endpoint_state", {"endpoint_id": endpoint.pk}),
        ("webhook_endpoint_delete", {"endpoint_id": endpoint.pk}),
        ("webhook_message_replay", {"endpoint_id": endpoint.pk, "message_id": message.pk}),
    ]:
        assert client.get(reverse(f"portal:{name}", kwargs=kwargs)).status_code == 404
        assert client.post(reverse(f"portal:{name}", kwargs=kwargs)).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.status == "active"
