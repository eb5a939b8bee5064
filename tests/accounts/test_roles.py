"""Which admin pages each staff role reaches, and which answer 403."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, ROLE_NAMES, SECURITY_LEAD, SUPPORT_AGENT
from tests.factories import (
    ControllerFactory,
    SecurityMeasureFactory,
    StaffFactory,
    SubprocessorFactory,
)

# (role, object kind, page) -> expected status. 200 reached, 403 refused.
EXPECTED = {
    PRIVACY_OFFICER: {
        "controller": (200, 200, 200),
        "subprocessor": (200, 200, 200),
        "securitymeasure": (200, 200, 200),
    },
    SUPPORT_AGENT: {
        "controller": (403, 200, 403),
        "subprocessor": (403, 200, 403),
        "securitymeasure": (403, 200, 403),
    },
    SECURITY_LEAD: {
        "controller": (403, 200, 403),
        "subprocessor": (403, 200, 403),
        "securitymeasure": (200, 200, 403),
    },
    AUDITOR: {
        "controller": (403, 200, 403),
        "subprocessor": (403, 200, 403),
        "securitymeasure": (403, 200, 403),
    },
}
URL_NAMES = {
    "controller": "controllers_controller",
    "subprocessor": "subprocessors_subprocessor",
    "securitymeasure": "processors_securitymeasure",
}
pytestmark = pytest.mark.django_db

FACTORIES = {
    "controller": ControllerFactory,
    "subprocessor": SubprocessorFactory,
    "securitymeasure": SecurityMeasureFactory,
}


def test_migration_made_the_four_roles(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_NAMES)


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("kind", list(URL_NAMES))
def test_role_reaches_add_change_delete_as_expected(client, role, kind):
    client.force_login(StaffFactory(role=role))
    obj = FACTORIES[kind]()
    name = URL_NAMES[kind]
    add = client.get(reverse(f"admin:{name}_add")).status_code
    change = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
    delete = client.get(reverse(f"admin:{name}_delete", args=[obj.pk])).status_code
    assert (add, change.status_code, delete) == EXPECTED[role][kind]
    # A view-only role sees the change page without a save button.
    can_change = EXPECTED[role][kind][0] == 200
    assert ('name="_save"' in change.content.decode()) == can_change


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_change_post_is_refused_without_change_permission(client, role):
    client.force_login(StaffFactory(role=role))
    controller = ControllerFactory(legal_name="Before Ltd")
    response = client.post(
        reverse("admin:controllers_controller_change", args=[controller.pk]),
        {"legal_name": "After Ltd"},
    )
    controller.refresh_from_db()
    if role == PRIVACY_OFFICER:
        assert response.status_code == 200  # re-shown with errors: the form was incomplete
    else:
        assert response.status_code == 403
    assert controller.legal_name == "Before Ltd"


@pytest.mark.parametrize(
    "role,expected",
    [(AUDITOR, 200), (PRIVACY_OFFICER, 200), (SUPPORT_AGENT, 403), (SECURITY_LEAD, 403)],
)
def test_history_is_read_by_auditors_and_officers_only(client, role, expected):
    client.force_login(StaffFactory(role=role))
    controller = ControllerFactory()
    response = client.get(reverse("admin:controllers_controller_history", args=[controller.pk]))
    assert response.status_code == expected


def test_auditor_cannot_write_through_the_history_revert_form(client):
    client.force_login(StaffFactory(role=AUDITOR))
    controller = ControllerFactory(legal_name="Original Ltd")
    version = controller.history.latest()
    url = reverse(
        "admin:controllers_controller_simple_history", args=[controller.pk, version.history_id]
    )
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "legal_name": "Rewritten Ltd",
            "address": "x",
            "country": "IE",
            "contact_name": "x",
            "contact_email": "x@example.test",
            "dpa_version": "1",
            "status": "active",
        },
    )
    assert response.status_code == 403
    controller.refresh_from_db()
    assert controller.legal_name == "Original Ltd"
    assert controller.history.count() == 1


def test_auditor_sees_no_add_or_delete_actions_on_the_changelist(client):
    client.force_login(StaffFactory(role=AUDITOR))
    ControllerFactory()
    page = client.get(reverse("admin:controllers_controller_changelist")).content.decode()
    assert "delete_selected" not in page
    assert reverse("admin:controllers_controller_add") not in page


def test_customer_user_cannot_enter_the_admin(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=False))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_privacy_officer_cannot_make_anyone_superuser(client):
    officer = StaffFactory(role=PRIVACY_OFFICER)
    client.force_login(officer)
    response = client.post(
        reverse("admin:accounts_user_change", args=[officer.pk]),
        {
            "email": officer.email,
            "full_name": "Me",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [Group.objects.get(name=PRIVACY_OFFICER).pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.full_name == "Me"
    assert officer.is_superuser is False


def test_roles_follow_the_table_after_migrate(db):
    from django.core.management import call_command

    support = Group.objects.get(name=SUPPORT_AGENT)
    support.permissions.clear()
    call_command("migrate", verbosity=0)
    codenames = set(support.permissions.values_list("codename", flat=True))
    assert "view_controller" in codenames
    assert "change_controller" not in codenames
