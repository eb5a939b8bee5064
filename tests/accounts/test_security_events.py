import pytest
from django.urls import reverse

from apps.accounts.models import SecurityEvent
from apps.accounts.roles import AUDITOR, SECURITY_LEAD, SUPPORT_AGENT
from tests.factories import ControllerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def admin_login(client, email, password):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"}
    )


def test_failed_login_is_recorded(client):
    StaffFactory(email="staff@calljmp.test")
    response = admin_login(client, "staff@calljmp.test", "wrong-password")
    assert response.status_code == 200
    event = SecurityEvent.objects.get()
    assert event.kind == "login_failed"
    assert event.username == "staff@calljmp.test"
    assert event.ip_address == "127.0.0.1"


def test_repeated_failures_lock_out_and_are_recorded(client, settings):
    StaffFactory(email="staff@calljmp.test", password="the-right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "staff@calljmp.test", "wrong-password")
    response = admin_login(client, "staff@calljmp.test", "the-right-password")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    kinds = list(SecurityEvent.objects.values_list("kind", flat=True))
    assert "locked_out" in kinds
    assert kinds.count("login_failed") >= settings.AXES_FAILURE_LIMIT


def test_permission_refusal_is_recorded(client):
    agent = StaffFactory(role=SUPPORT_AGENT)
    client.force_login(agent)
    controller = ControllerFactory()
    response = client.get(reverse("admin:controllers_controller_delete", args=[controller.pk]))
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind="permission_denied")
    assert event.user == agent
    assert event.path.endswith(f"/{controller.pk}/delete/")


@pytest.mark.parametrize(
    "role,status", [(SECURITY_LEAD, 200), (AUDITOR, 200), (SUPPORT_AGENT, 403)]
)
def test_security_events_are_read_by_security_lead_and_auditors(client, role, status):
    client.force_login(StaffFactory(role=role))
    assert client.get(reverse("admin:accounts_securityevent_changelist")).status_code == status


def test_nobody_edits_the_security_log(officer_client):
    event = SecurityEvent.objects.create(kind="export", detail="register.csv")
    response = officer_client.post(
        reverse("admin:accounts_securityevent_change", args=[event.pk]), {"detail": "nothing"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.detail == "register.csv"


def test_staff_sessions_expire_sooner_than_customers(client, settings):
    client.force_login(StaffFactory())
    client.get(reverse("admin:index"))
    assert client.session.get_expiry_age() == settings.STAFF_SESSION_IDLE_SECONDS
    client.logout()
    client.force_login(UserFactory())
    client.get("/healthz")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.STAFF_SESSION_IDLE_SECONDS < settings.SESSION_COOKIE_AGE


def test_password_reset_is_rate_limited_without_telling(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 2
    UserFactory(email="someone@customer.test")
    pages = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            response = client.post(
                reverse("portal:password_reset"), {"email": "someone@customer.test"}, follow=True
            )
            pages.append(response.content.decode())
    assert len(mailoutbox) == 2
    assert len(set(pages)) == 1  # the same answer, sent or not
    events = SecurityEvent.objects.filter(kind="password_reset_requested")
    assert events.count() == 4
    assert events.filter(detail="refused: too many requests").count() == 2


def test_password_reset_limit_per_client_covers_many_addresses(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 3
    for n in range(5):
        UserFactory(email=f"person{n}@customer.test")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            client.post(reverse("portal:password_reset"), {"email": f"person{n}@customer.test"})
    assert len(mailoutbox) == 3


def test_downloads_are_recorded_as_exports(
    officer_client, officer, django_capture_on_commit_callbacks
):
    controller = ControllerFactory(legal_name="Acme Ltd")
    # The PDF is made by a job (tests/jobs); its page serves the file.
    with django_capture_on_commit_callbacks(execute=True):
        job_page = officer_client.post(
            reverse(
                "admin:processors_processingactivity_controller_record_pdf", args=[controller.pk]
            )
        )["Location"]
    assert not SecurityEvent.objects.filter(kind="export").exists()  # nothing downloaded yet
    download = job_page.replace("/change/", "/download/")
    response = officer_client.get(download)
    assert response.status_code == 200
    event = SecurityEvent.objects.get(kind="export")
    assert event.user == officer
    assert event.detail.startswith("record-of-processing-acme-ltd-")
    assert event.detail.endswith(f".pdf from {download}")


def test_pages_are_not_recorded_as_exports(officer_client):
    officer_client.get(reverse("admin:index"))
    assert not SecurityEvent.objects.filter(kind="export").exists()
