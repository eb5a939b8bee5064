"""What every signed-in page pays before its own work: the session, and the user read with its
permissions and its confirmed second-factor devices in one query; the session saved at most once
every SESSION_REFRESH_SECONDS. None of it weakens a check: a device removed or unconfirmed, an
account deactivated, a permission taken away are refused on the very next request."""

import time

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.middleware import SESSION_REFRESHED_KEY
from apps.accounts.roles import PRIVACY_OFFICER
from tests.factories import DataCategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "admin:data_categories_datacategory_changelist"


def sql_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [q["sql"] for q in queries.captured_queries]


def test_a_staff_page_reads_permissions_and_device_with_the_user(
    officer_client, django_assert_num_queries
):
    DataCategoryFactory.create_batch(2)
    url = reverse(LIST)
    officer_client.get(url)  # warm the per-process caches (content types, site)
    # 1 session, 2 the user with its own and its groups' permissions and the ids of its
    # confirmed devices, 3 EXPLAIN estimate (PostgreSQL), 4 count, 5 the categories. No device
    # query, no permission query, no session save, no transaction for a page that only reads.
    expected = 5 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(expected):
        officer_client.get(url)
    sql = sql_of(officer_client, url)
    assert not [q for q in sql if "otp_" in q and "accounts_user" not in q]
    assert not [q for q in sql if "auth_permission" in q and "accounts_user" not in q]
    assert not [q for q in sql if q.startswith("UPDATE")]


def test_the_sessions_device_is_the_one_it_was_verified_with(officer_client, officer):
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=officer)
    assert response.wsgi_request.user.otp_device.persistent_id == device.persistent_id


def test_a_removed_device_is_refused_on_the_next_request(officer_client, officer):
    assert officer_client.get(reverse("admin:index")).status_code == 200
    TOTPDevice.objects.filter(user=officer).delete()
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert DEVICE_ID_SESSION_KEY not in officer_client.session


def test_a_device_no_longer_confirmed_is_refused(officer_client, officer):
    assert officer_client.get(reverse("admin:index")).status_code == 200
    TOTPDevice.objects.filter(user=officer).update(confirmed=False)
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_another_users_device_is_refused(client, officer):
    other = StaffFactory(role=PRIVACY_OFFICER)
    theirs = TOTPDevice.objects.create(user=other, name="Theirs", confirmed=True)
    client.force_login(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
    session.save()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_deactivated_account_is_refused_on_the_next_request(officer_client, officer):
    assert officer_client.get(reverse("admin:index")).status_code == 200
    officer.is_active = False
    officer.save()
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not response.wsgi_request.user.is_authenticated


def test_a_permission_taken_away_counts_on_the_next_request(officer_client, officer):
    assert officer_client.get(reverse(LIST)).status_code == 200
    officer.groups.remove(Group.objects.get(name=PRIVACY_OFFICER))
    assert officer_client.get(reverse(LIST)).status_code == 403


def test_a_superuser_keeps_every_permission(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root@example.test", "x" * 16))
    response = client.get(reverse(LIST))
    assert response.status_code == 200
    assert response.wsgi_request.user.has_perm("trail.view_trailentry")


def stored_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_page_read_soon_after_the_last_save_writes_no_session(client, settings):
    client.force_login(UserFactory())
    before = stored_expiry(client)
    with CaptureQueriesContext(connection) as queries:
        client.get("/healthz")
    assert not [
        q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert stored_expiry(client) == before
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_page_read_after_the_refresh_interval_pushes_the_end_of_the_session_on(client, settings):
    client.force_login(UserFactory())
    session = client.session
    session[SESSION_REFRESHED_KEY] = int(time.time()) - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    before = stored_expiry(client)
    time.sleep(0.01)
    client.get("/healthz")
    assert stored_expiry(client) > before
    assert client.session[SESSION_REFRESHED_KEY] >= int(time.time()) - 1


@pytest.mark.parametrize("staff", [True, False])
def test_a_sign_in_starts_the_idle_time(client, settings, staff):
    user = StaffFactory() if staff else UserFactory()
    client.force_login(user)
    idle = settings.STAFF_SESSION_IDLE_SECONDS if staff else settings.SESSION_COOKIE_AGE
    assert client.session.get_expiry_age() == idle
    assert client.session[SESSION_REFRESHED_KEY] >= int(time.time()) - 1
